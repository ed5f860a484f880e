package openai

import (
	"encoding/json"

	"qwenproxy/internal/jsonscan"
)

// The JSON names of contentPart's, imageURLPart's and filePart's fields.
var (
	partKeys     = []string{"type", "text", "refusal", "image_url", "file"}
	imageURLKeys = []string{"url", "detail"}
	fileKeys     = []string{"file_data", "filename", "file_id"}
)

// decodePartsInPlace is a message's array of content parts decoded as
// json.Unmarshal decodes it into []contentPart, reading the texts and the
// images' data: URLs in place; false for anything it does not read exactly
// so (see ChatRequest.DecodeInPlace), which DecodeParts then reads and words.
// FuzzDecodeParts holds it to json.Unmarshal.
func decodePartsInPlace(raw []byte) ([]contentPart, bool) {
	var parts []contentPart
	ok := jsonscan.DecodeObjects(raw, &parts, partKeys, func(name string, v json.RawMessage, p *contentPart) bool {
		switch name {
		case "type":
			return jsonscan.DecodeString(v, &p.Type)
		case "text":
			return jsonscan.DecodeStringPointer(v, &p.Text)
		case "refusal":
			return jsonscan.DecodeStringPointer(v, &p.Refusal)
		case "image_url":
			return jsonscan.DecodeObjectPointer(v, &p.ImageURL, imageURLKeys, func(name string, v json.RawMessage, u *imageURLPart) bool {
				if name == "url" {
					return jsonscan.DecodeString(v, &u.URL)
				}
				return jsonscan.DecodeString(v, &u.Detail)
			})
		default: // "file"
			return jsonscan.DecodeObjectPointer(v, &p.File, fileKeys, func(name string, v json.RawMessage, f *filePart) bool {
				switch name {
				case "file_data":
					return jsonscan.DecodeString(v, &f.FileData)
				case "filename":
					return jsonscan.DecodeString(v, &f.Filename)
				default: // "file_id"
					return jsonscan.DecodeString(v, &f.FileID)
				}
			})
		}
	})
	return parts, ok
}
