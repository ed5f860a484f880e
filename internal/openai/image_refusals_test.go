package openai

import (
	"encoding/json"
	"strings"
	"testing"
)

// A value OpenAI defines for an image setting that Qwen cannot give is
// refused saying why (unsupported_value, as a transparent background is),
// not with a range or a list that holds only the one value Qwen gives:
// "partial_images must be between 0 and 0, not 1" and "output_format must
// be one of png, not \"jpeg\"" read as if the client had sent nonsense.
// A value outside OpenAI's own definition is still OpenAI's invalid_value.
func TestImageSettingsQwenCannotGiveSayWhy(t *testing.T) {
	field := func(fields []Field, name string) func(string, json.RawMessage) *Error {
		for _, f := range fields {
			if f.Name == name {
				return f.Check
			}
		}
		t.Fatalf("no field %s", name)
		return nil
	}
	tool := func(key string) func(string, json.RawMessage) *Error {
		return func(_ string, v json.RawMessage) *Error {
			if err := CheckImageToolSettings(func(k string) string { return "tools[0]." + k }, ToolSetting{Key: key, Value: v}); err != nil {
				return err
			}
			return ImageToolRefusals(func(k string) string { return "tools[0]." + k }, ToolSetting{Key: key, Value: v})
		}
	}
	type check = func(string, json.RawMessage) *Error
	for _, c := range []struct {
		where, name string
		check       check
		value       string
		code, why   string // why: in the message; "" for a value that passes
	}{
		{"generations", "output_format", field(ImageFields, "output_format"), `"jpeg"`, "unsupported_value", "PNG"},
		{"generations", "output_format", field(ImageFields, "output_format"), `"gif"`, "invalid_value", "png, jpeg, webp"},
		{"generations", "output_format", field(ImageFields, "output_format"), `"png"`, "", ""},
		{"generations", "partial_images", field(ImageFields, "partial_images"), `1`, "unsupported_value", "whole"},
		{"generations", "partial_images", field(ImageFields, "partial_images"), `0`, "", ""},
		{"generations", "partial_images", field(ImageFields, "partial_images"), `9`, "invalid_value", "between 0 and 3"},
		{"generations", "frame_count", field(ImageFields, "frame_count"), `4`, "unsupported_value", "animation"},
		{"generations", "frame_count", field(ImageFields, "frame_count"), `1`, "", ""},
		{"edits", "output_format", field(ImageEditFields, "output_format"), `"webp"`, "unsupported_value", "PNG"},
		{"edits", "partial_images", field(ImageEditFields, "partial_images"), `2`, "unsupported_value", "whole"},
		{"edits", "frame_count", field(ImageEditFields, "frame_count"), `2`, "unsupported_value", "animation"},
		{"tool", "tools[0].output_format", tool("output_format"), `"jpeg"`, "unsupported_value", "PNG"},
		{"tool", "tools[0].output_format", tool("output_format"), `"png"`, "", ""},
		{"tool", "tools[0].partial_images", tool("partial_images"), `1`, "unsupported_value", "whole"},
		{"tool", "tools[0].partial_images", tool("partial_images"), `5`, "invalid_value", "between 0 and 3"},
	} {
		err := c.check(c.name, json.RawMessage(c.value))
		if c.code == "" {
			if err != nil {
				t.Errorf("%s %s=%s: %v, want it taken", c.where, c.name, c.value, err.Message)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s %s=%s: taken, want %s", c.where, c.name, c.value, c.code)
			continue
		}
		if err.Code != c.code || !strings.Contains(err.Message, c.why) || !strings.HasPrefix(err.Message, c.name+" ") ||
			strings.Contains(err.Message, "between 0 and 0") || strings.Contains(err.Message, "between 1 and 1") || strings.Contains(err.Message, "one of png,") && c.code == "unsupported_value" {
			t.Errorf("%s %s=%s: %s %q, want %s saying %q", c.where, c.name, c.value, err.Code, err.Message, c.code, c.why)
		}
	}
}
