package server

import (
	"encoding/json"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/redact"
	"qwenproxy/internal/responses"
)

// imagesNotKept rewrites the input items of a rebuilt conversation so that
// an image the record does not hold (its reference, "[image image/png, 68
// bytes, sha256:…]", kept instead of its bytes unless RECORD_IMAGE_BYTES;
// or a URL whose credentials were masked) becomes a text part saying so.
// Such an image cannot be sent again, and refusing it threw away the whole
// conversation: the new chat was told nothing. Images the record holds
// (data: URLs, URLs as sent) are left to go up again.
func imagesNotKept(items []json.RawMessage) []json.RawMessage {
	out := make([]json.RawMessage, len(items))
	for i, raw := range items {
		out[i] = raw
		if !strings.Contains(string(raw), `"input_image"`) && !strings.Contains(string(raw), `"input_file"`) {
			continue
		}
		var item map[string]json.RawMessage
		if json.Unmarshal(raw, &item) != nil {
			continue
		}
		changed := false
		for _, field := range []string{"content", "output"} { // a message's, a function_call_output's
			if parts, ok := partsNotKept(item[field]); ok {
				item[field], changed = parts, true
			}
		}
		if changed {
			if b, err := json.Marshal(item); err == nil {
				out[i] = b
			}
		}
	}
	return out
}

// partsNotKept is imagesNotKept's work on one list of content parts, and
// whether it changed any.
func partsNotKept(raw json.RawMessage) (json.RawMessage, bool) {
	var parts []map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &parts) != nil {
		return raw, false
	}
	changed := false
	for j, p := range parts {
		var kind, url string
		_ = json.Unmarshal(p["type"], &kind)
		_ = json.Unmarshal(p["image_url"], &url)
		noun := "image"
		if kind == "input_file" {
			// A document's reference ("[document application/pdf, …]"),
			// kept instead of its bytes as an image's is.
			// A document by URL (file_url) is sent again, fetched again,
			// when the record holds its URL whole, as an image URL is.
			_ = json.Unmarshal(p["file_data"], &url)
			if url == "" {
				_ = json.Unmarshal(p["file_url"], &url)
				if keptImage(url) {
					continue
				}
			}
			if qp.IsDataURL(url) {
				continue
			}
			noun = "document"
		} else if kind != "input_image" || keptImage(url) {
			continue
		}
		what := strings.TrimSuffix(strings.TrimPrefix(url, "["), "]")
		if what == "" || strings.Contains(url, redact.Placeholder) {
			what = noun
		}
		text, _ := json.Marshal(responses.NotKept(what))
		parts[j] = map[string]json.RawMessage{"type": json.RawMessage(`"input_text"`), "text": text}
		changed = true
	}
	if !changed {
		return raw, false
	}
	b, err := json.Marshal(parts)
	if err != nil {
		return raw, false
	}
	return b, true
}

// keptImage reports whether a recorded image URL can be sent again: a
// data: URL (RECORD_IMAGE_BYTES=true), or an http(s) URL recorded whole.
func keptImage(url string) bool {
	if qp.IsDataURL(url) {
		return true
	}
	return qp.IsWebURL(url) && !strings.Contains(url, redact.Placeholder)
}
