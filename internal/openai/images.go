package openai

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// ImageRequest is the body of POST /v1/images/generations (and the text
// fields of an edit's form, FormJSON): the fields the proxy acts on (the
// others are checked by ImageFields, ImageEditFields).
type ImageRequest struct {
	Prompt         string `json:"prompt"`
	Model          string `json:"model"`
	Size           string `json:"size"`
	ResponseFormat string `json:"response_format"`
}

// ImageResponse is the answer of an image generation.
type ImageResponse struct {
	Created int64        `json:"created"`
	Data    []ImageDatum `json:"data"`
}

// ImageDatum is one generated image: its URL or its bytes (base64).
type ImageDatum struct {
	URL           string `json:"url,omitempty"`
	B64JSON       string `json:"b64_json,omitempty"`
	RevisedPrompt string `json:"revised_prompt,omitempty"`
}

// Base64 reports whether the image is answered as its bytes (b64_json)
// rather than its URL: as response_format asks, else as OpenAI answers the
// model named. The GPT image models (gpt-image-…, chatgpt-image-…) always
// answer base64 and take no response_format, so their clients read
// b64_json alone; an edit that names no model is OpenAI's default edit
// model's (gpt-image-1.5). DALL·E, and any other name, default to the URL.
func (r *ImageRequest) Base64(edit bool) bool {
	if r.ResponseFormat != "" {
		return r.ResponseFormat == "b64_json"
	}
	if r.Model == "" {
		return edit
	}
	m := strings.ToLower(r.Model)
	return strings.HasPrefix(m, "gpt-image-") || strings.HasPrefix(m, "chatgpt-image-")
}

// maxPrompt bounds an image prompt, in characters (OpenAI's gpt-image
// limit).
const maxPrompt = 32000

// Validate checks an image request.
func (r *ImageRequest) Validate() *Error {
	if strings.TrimSpace(r.Prompt) == "" {
		return InvalidRequest("prompt", "missing_required_parameter", "prompt is required")
	}
	if n := len([]rune(r.Prompt)); n > maxPrompt {
		return InvalidRequest("prompt", "invalid_value", "prompt is %d characters, over %d", n, maxPrompt)
	}
	if _, err := AspectRatio(r.Size); err != nil {
		return err
	}
	return nil
}

// aspectRatios are the ratios Qwen's image generation takes.
var aspectRatios = []struct {
	name string
	w, h int
}{{"1:1", 1, 1}, {"4:3", 4, 3}, {"3:4", 3, 4}, {"16:9", 16, 9}, {"9:16", 9, 16}}

// AspectRatio maps an OpenAI size ("1024x1024", "1792x1024", "auto", "")
// onto the nearest of the ratios Qwen takes ("1:1", "4:3", "3:4", "16:9",
// "9:16"); "" for auto.
func AspectRatio(size string) (string, *Error) {
	if size == "" || size == "auto" {
		return "", nil
	}
	ws, hs, ok := strings.Cut(size, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w < 64 || h < 64 || w > 8192 || h > 8192 {
		return "", InvalidRequest("size", "invalid_value", "size must be auto or WIDTHxHEIGHT (64 to 8192 each), e.g. 1024x1024; got %q", size)
	}
	best, bestDiff := "", 0.0
	for _, r := range aspectRatios {
		diff := float64(w)/float64(h) - float64(r.w)/float64(r.h)
		if diff < 0 {
			diff = -diff
		}
		if best == "" || diff < bestDiff {
			best, bestDiff = r.name, diff
		}
	}
	return best, nil
}

func responseFormat(name string, v json.RawMessage) *Error {
	return enum("url", "b64_json")(name, v)
}

// ImageFields is the policy of every POST /v1/images/generations field
// (ImageGenerateParams of openai-go v3.98.0).
var ImageFields = []Field{
	{"prompt", Honoured, str(maxPrompt * 4), "what to draw"},
	{"model", Honoured, CheckModel, "a Qwen model that generates images (its `-image` variant is listed), default `DEFAULT_MODEL`"},
	{"n", Honoured, onlyOne, "only 1"},
	{"size", Honoured, nil, "`auto` or WIDTHxHEIGHT, sent as the nearest ratio Qwen takes (1:1, 4:3, 3:4, 16:9, 9:16)"},
	{"response_format", Honoured, responseFormat, "`url` (Qwen's URL of the image) or `b64_json` (the proxy fetches it); without it, `b64_json` for a GPT image model's name (`gpt-image-…`, `chatgpt-image-…`: OpenAI answers those only so), else `url`"},
	{"quality", Ignored, enum("auto", "low", "medium", "high", "xhigh", "max", "standard", "hd"), "one of OpenAI's (`auto`, `low` … `max`, `standard`, `hd`); Qwen decides"},
	{"style", Ignored, enum("vivid", "natural"), "`vivid` or `natural`; Qwen decides"},
	{"user", Ignored, str(512), "a string"},
	{"background", Refused, opaqueBackground, "`auto` or `opaque`; `transparent` is a 400: Qwen draws opaque images"},
	{"moderation", Ignored, enum("auto", "low"), "`auto` or `low`; Qwen moderates as it does"},
	{"safety_identifier", Ignored, str(128), "a string of at most 128"},
	{"output_format", Refused, pngOnly, "`png` only"},
	{"frame_count", Refused, stillOnly, "1 only: no GIF animations"},
	{"frame_duration_ms", Ignored, integer(0, 655350), "0–655350; no effect (no animations)"},
	{"complexity", Ignored, enum("low", "medium", "high"), "`low`, `medium` or `high`; for SVG output, which is refused"},
	{"svg", Refused, Refuse("Qwen draws raster images only"), "a 400: no SVG output"},
	{"output_compression", Ignored, integer(0, 100), "0–100; no effect"},
	{"partial_images", Refused, wholeOnly, "0 only: no partial images"},
	{"stream", Refused, noStream, "`false` only: the image comes whole"},
}

// The settings of which Qwen gives one value alone: checked as OpenAI
// defines them, then refused, saying why, for any other value.
var (
	pngOnly   = qwenGives(enum("png", "jpeg", "webp"), `"png"`, "Qwen draws PNG images")
	wholeOnly = qwenGives(integer(0, 3), `0`, "Qwen's image comes whole, without partial images")
	stillOnly = qwenGives(integer(1, math.MaxInt64), `1`, "Qwen draws still images, not animations")
)

// opaqueBackground refuses a transparent background, which Qwen's image
// generation cannot give: the image would come opaque without a word.
func opaqueBackground(name string, v json.RawMessage) *Error {
	if err := enum("auto", "opaque", "transparent")(name, v); err != nil {
		return err
	}
	if string(v) == `"transparent"` {
		return InvalidRequest(name, "unsupported_value", "%s \"transparent\" is not supported: Qwen draws opaque images", name)
	}
	return nil
}

func noStream(name string, v json.RawMessage) *Error {
	if string(v) == "false" {
		return nil
	}
	return InvalidRequest(name, "unsupported_value", "%s: image generations are not streamed; the answer is one JSON body (kept alive with leading newlines)", name)
}
