package openai

import (
	"encoding/json"
	"strings"

	"qwenproxy/internal/jsonscan"
)

// imageToolChecks hold the image generation tool's settings to OpenAI's
// definition of them, wherever the tool is declared (an agent may declare
// it on every call: its valid settings must pass, also those Qwen cannot
// give, which matter only when the turn draws: ImageToolRefusals).
var imageToolChecks = map[string]func(string, json.RawMessage) *Error{
	"size": func(name string, v json.RawMessage) *Error {
		s, ok := jsonscan.StringValue(v)
		if !ok {
			return TypeError(name, "a string", v)
		}
		if _, err := AspectRatio(s); err != nil {
			return InvalidRequest(name, "invalid_value", "%s must be auto or WIDTHxHEIGHT (64 to 8192 each), e.g. 1024x1024; got %q", name, s)
		}
		return nil
	},
	"quality":            enum("auto", "low", "medium", "high"),
	"background":         enum("auto", "opaque", "transparent"),
	"moderation":         enum("auto", "low"),
	"output_format":      enum("png", "jpeg", "webp"),
	"output_compression": integer(0, 100),
	"partial_images":     integer(0, 3),
	"input_fidelity":     enum("high", "low"),
	"input_image_mask":   object,
}

// imageToolRefusals are what Qwen cannot give of the settings when the
// turn draws: a 400, as POST /v1/images/generations answers the same
// fields, not an image that quietly differs.
var imageToolRefusals = map[string]func(string, json.RawMessage) *Error{
	"background":       opaqueBackground,
	"output_format":    pngOnly,
	"partial_images":   wholeOnly,
	"input_image_mask": Refuse("Qwen's image editing takes no mask: say in the prompt what to change"),
}

// CheckImageToolSettings checks the image generation tool's settings in
// turn against OpenAI's definition, naming each param(key).
func CheckImageToolSettings(param func(key string) string, settings ...ToolSetting) *Error {
	return checkSettings(imageToolChecks, param, settings)
}

// ImageToolRefusals is the 400 for a setting Qwen cannot give (checked
// already), for a turn that draws with the tool.
func ImageToolRefusals(param func(key string) string, settings ...ToolSetting) *Error {
	return checkSettings(imageToolRefusals, param, settings)
}

func checkSettings(checks map[string]func(string, json.RawMessage) *Error, param func(key string) string, settings []ToolSetting) *Error {
	for _, s := range settings {
		check := checks[s.Key]
		if check == nil || IsNull(s.Value) {
			continue
		}
		if err := check(param(s.Key), s.Value); err != nil {
			return err
		}
	}
	return nil
}

// ImageToolSize is the ratio Qwen takes nearest to the tool's size ("" for
// auto or none; the size was checked).
func ImageToolSize(size json.RawMessage) string {
	s, _ := jsonscan.StringValue(size)
	ratio, _ := AspectRatio(strings.TrimSpace(s))
	return ratio
}
