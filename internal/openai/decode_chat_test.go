package openai

import "testing"

// TestDecodeChatReadsWhatClientsSend: the requests clients send take the
// fast way (were they left to json.Unmarshal, BenchmarkRequestChecks would
// still pass, only slower); what it leaves to json.Unmarshal is what it
// cannot read exactly alike.
func TestDecodeChatReadsWhatClientsSend(t *testing.T) {
	for _, body := range []string{
		string(agentRequest("You are a careful coding agent. ")), string(agentRequest(`line\n`)),
		`{"model":"qwen3-max","messages":[{"role":"system","content":"line one\nline \"two\"\t\u00e9"},{"role":"user","content":[{"type":"text","text":"hi"}]},` +
			`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"read","arguments":"{\"path\":\"a\"}"}}]},` +
			`{"role":"tool","tool_call_id":"c1","content":"file"}],"tools":[{"type":"function","function":{"name":"read"}}],"tool_choice":"auto",` +
			`"stream":true,"stream_options":{"include_usage":true},"temperature":0.2,"max_tokens":100,"cache_control":{"type":"ephemeral"}}`,
	} {
		var req ChatRequest
		if !decodeChat([]byte(body), &req) {
			t.Errorf("left to json.Unmarshal: %.120s", body)
		}
	}
	for _, body := range []string{`{"Model":"x"}`, `{"messages":[],"messages":[]}`, `{"messages":[null]}`, `{"messages":[{"role":1}]}`, `{"stream":"yes"}`, `{"tools":[1,]}`} {
		var req ChatRequest
		if decodeChat([]byte(body), &req) {
			t.Errorf("read the fast way: %s", body)
		}
	}
}
