package anthropic

import (
	"encoding/json"
	"testing"
)

// FuzzRequest: any body either fails to decode or validate with an error, or
// translates; nothing panics, and a valid request's conversation is never
// empty.
func FuzzRequest(f *testing.F) {
	f.Add(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`)
	f.Add(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]}]}`)
	f.Add(`{"model":"m","max_tokens":9,"system":[{"type":"text","text":"s"}],"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"n","input":{"x":[1,{"y":null}]}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":[{"type":"text","text":"r"}],"is_error":true}]}],"tools":[{"name":"n","input_schema":{}}],"tool_choice":{"type":"tool","name":"n"}}`)
	f.Add(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":7}]}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var r Request
		if json.Unmarshal([]byte(body), &r) != nil {
			return
		}
		if r.Validate(false) != nil {
			return
		}
		if len(r.Conversation()) == 0 {
			t.Fatalf("valid request without a conversation: %s", body)
		}
		_ = EstimateTokens(&r)
	})
}
