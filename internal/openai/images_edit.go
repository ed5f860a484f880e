package openai

import "encoding/json"

// ImageEditFields is the policy of every POST /v1/images/edits form field
// (ImageEditParams of openai-go v3.98.0). The form's text fields are
// checked as a JSON body's would be (see FormJSON); image (image[], image[n]) is
// its files, the images to edit; a mask or markup file is refused.
var ImageEditFields = []Field{
	{"image", Honoured, nil, "one or more image files (also as `image[]` or `image[0]`, `image[1]`, …), at most `IMAGE_MAX_COUNT`, each at most `IMAGE_MAX_BYTES`, checked and uploaded as a vision image is; a text value is a 400"},
	{"prompt", Honoured, str(maxPrompt * 4), "what to change"},
	{"model", Honoured, CheckModel, "a Qwen model that edits images (its `-image-edit` variant is listed), default `DEFAULT_MODEL`"},
	{"n", Honoured, onlyOne, "only 1"},
	{"size", Honoured, nil, "`auto` or WIDTHxHEIGHT, sent as the nearest ratio Qwen takes (1:1, 4:3, 3:4, 16:9, 9:16)"},
	{"response_format", Honoured, responseFormat, "`url` (Qwen's URL of the image) or `b64_json` (the proxy fetches it); without it, `b64_json` for a GPT image model's name (`gpt-image-…`, `chatgpt-image-…`: OpenAI answers those only so) or no model (OpenAI's default edit model is one), else `url`"},
	{"mask", Refused, Refuse("Qwen's image editing takes no mask: say in the prompt what to change"), "a 400: Qwen's image editing takes no mask (say in the prompt what to change)"},
	{"markup", Refused, Refuse("Qwen's image editing takes no markup image"), "a 400: no markup image"},
	{"input_fidelity", Ignored, enum("high", "low"), "`high` or `low`; Qwen decides"},
	{"quality", Ignored, enum("auto", "low", "medium", "high", "xhigh", "max", "standard", "hd"), "one of OpenAI's (`auto`, `low` … `max`, `standard`, `hd`); Qwen decides"},
	{"user", Ignored, str(512), "a string"},
	{"background", Refused, opaqueBackground, "`auto` or `opaque`; `transparent` is a 400: Qwen draws opaque images"},
	{"safety_identifier", Ignored, str(128), "a string of at most 128"},
	{"output_format", Refused, pngOnly, "`png` only"},
	{"output_compression", Ignored, integer(0, 100), "0–100; no effect"},
	{"frame_count", Refused, stillOnly, "1 only: no GIF animations"},
	{"frame_duration_ms", Ignored, integer(0, 655350), "0–655350; no effect (no animations)"},
	{"complexity", Ignored, enum("low", "medium", "high"), "`low`, `medium` or `high`; for SVG output, which is refused"},
	{"svg", Refused, Refuse("Qwen draws raster images only"), "a 400: no SVG output"},
	{"partial_images", Refused, wholeOnly, "0 only: no partial images"},
	{"stream", Refused, noStream, "`false` only: the image comes whole"},
}

// formNumbers are the edit form's fields whose values are numbers or
// booleans: a form sends them as text ("1", "false").
var formNumbers = map[string]bool{"n": true, "output_compression": true, "frame_count": true,
	"frame_duration_ms": true, "partial_images": true, "stream": true}

// FormField is one text field of a multipart form, in the order sent.
type FormField struct{ Name, Value string }

// FormJSON is a form's text fields as the JSON object a JSON body would
// be, so that they are checked (CheckFields), decoded and recorded as
// one: every value a string, but the values of formNumbers that read as a
// JSON number or boolean, which are those.
func FormJSON(fields []FormField) []byte {
	b := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		name, _ := json.Marshal(f.Name) // a string: cannot fail
		b = append(append(b, name...), ':')
		var v any
		if formNumbers[f.Name] && json.Unmarshal([]byte(f.Value), &v) == nil {
			switch v.(type) {
			case float64, bool:
				b = append(b, f.Value...)
				continue
			}
		}
		s, _ := json.Marshal(f.Value) // a string: cannot fail
		b = append(b, s...)
	}
	return append(b, '}')
}
