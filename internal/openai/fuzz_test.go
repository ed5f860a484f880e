package openai

import "testing"

// FuzzChatRequest decodes and validates arbitrary bodies: a request is
// accepted or refused with a 400 naming what is wrong, never a panic.
func FuzzChatRequest(f *testing.F) {
	f.Add([]byte(`{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{"messages":[{"role":"tool","tool_call_id":"c","content":[{"type":"text","text":"x"}]}],"stream":true}`))
	f.Add([]byte(`{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req ChatRequest
		if err := Decode(body, &req); err != nil {
			if err.Status != 400 || err.Message == "" {
				t.Fatalf("decode error %+v", err)
			}
			return
		}
		if err := req.Validate(); err != nil && (err.Status != 400 || err.Type != TypeInvalidRequest) {
			t.Fatalf("validation error %+v", err)
		}
	})
}
