package responses

import (
	"encoding/json"
	"testing"
)

// FuzzRequest: any body either fails to decode or validate with an error, or
// translates; nothing panics, and a valid request's conversation is never
// empty.
func FuzzRequest(f *testing.F) {
	f.Add(`{"model":"m","input":"hi"}`)
	f.Add(`{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,iVBOR"},{"type":"input_text","text":"a"}]}]}`)
	f.Add(`{"model":"m","instructions":"s","input":[{"role":"user","content":[{"type":"input_text","text":"a"}]},{"type":"function_call","call_id":"c","name":"n","arguments":"{"},{"type":"function_call_output","call_id":"c","output":"o"},{"type":"reasoning"}],"tools":[{"type":"function","name":"n"},{"type":"web_search"}],"tool_choice":{"type":"function","name":"n"}}`)
	f.Add(`{"model":"m","input":[{"type":"message","role":"assistant","content":null}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var r Request
		if json.Unmarshal([]byte(body), &r) != nil {
			return
		}
		if r.Validate() != nil {
			return
		}
		if len(r.Conversation()) == 0 {
			t.Fatalf("valid request without a conversation: %s", body)
		}
	})
}
