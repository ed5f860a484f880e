package responses

import (
	"encoding/json"
	"net/http"
	"testing"

	"qwenproxy/internal/openai"
)

// A json_object text.format whose input and instructions never say "json"
// is refused as OpenAI refuses it; it went to Qwen for two calls and ended
// in a 502 response_format_unmet. A turn that continues a stored response
// or a conversation is taken: what was said before it is not in the body.
func TestAJSONObjectFormatNeedsTheWordJSON(t *testing.T) {
	const msg = "Response input messages must contain the word 'json' in some form to use 'text.format' of type 'json_object'."
	for body, refused := range map[string]bool{
		`{"model":"m","text":{"format":{"type":"json_object"}},"input":"three colours"}`:                                                          true,
		`{"model":"m","text":{"format":{"type":"json_object"}},"instructions":"be terse","input":[{"role":"user","content":"three colours"}]}`:    true,
		`{"model":"m","text":{"format":{"type":"json_object"}},"input":"three colours as JSON"}`:                                                  false,
		`{"model":"m","text":{"format":{"type":"json_object"}},"instructions":"Answer in json.","input":"three colours"}`:                         false,
		`{"model":"m","text":{"format":{"type":"json_object"}},"input":[{"role":"user","content":[{"type":"input_text","text":"a Json list"}]}]}`: false,
		`{"model":"m","text":{"format":{"type":"json_object"}},"previous_response_id":"resp_1","input":"three colours"}`:                          false,
		`{"model":"m","text":{"format":{"type":"json_schema","name":"c","schema":{"type":"object"}}},"input":"three colours"}`:                    false,
		`{"model":"m","text":{"format":{"type":"text"}},"input":"three colours"}`:                                                                 false,
	} {
		var r Request
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		err := r.Validate()
		if !refused {
			if err != nil {
				t.Errorf("%s: %v, want it taken", body, err)
			}
			continue
		}
		if err == nil || err.Status != http.StatusBadRequest || err.Type != openai.TypeInvalidRequest || err.Param != "input" || err.Code != "" || err.Message != msg {
			t.Errorf("%s: %+v, want a 400 at input: %s", body, err, msg)
		}
	}
}
