package responses

import (
	"encoding/json"
	"testing"

	qp "qwenproxy"
)

// What OpenAI's hosted tools leave in a conversation begun at OpenAI — a
// web search's web_search_call, file_search_call, code_interpreter_call,
// an MCP server's mcp_list_tools and mcp_call — is taken and not read, as
// Anthropic's server tool blocks are: the model is told the answer's text
// around them; an image_generation_call is told as the image it made
// ("[an image, generated]"). They were a 400 ("web_search_call items are
// not supported"), so a conversation that had searched at OpenAI could
// not go on through the proxy.
func TestHostedToolItemsOfAConversationBegunAtOpenAIAreTaken(t *testing.T) {
	body := `{"model":"gpt-5","tools":[{"type":"web_search"}],"input":[
		{"role":"user","content":"news in Oslo, and draw it"},
		{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"oslo news","sources":[{"type":"url","url":"https://example.com"}]}},
		{"type":"image_generation_call","id":"ig_1","status":"completed","result":"aGVsbG8=","revised_prompt":"Oslo"},
		{"type":"file_search_call","id":"fs_1","status":"completed","queries":["oslo"],"results":null},
		{"type":"code_interpreter_call","id":"ci_1","status":"completed","code":"print(1)","container_id":"c","outputs":[{"type":"logs","logs":"1"}]},
		{"type":"mcp_list_tools","id":"ml_1","server_label":"deepwiki","tools":[{"name":"ask","input_schema":{"type":"object"}}]},
		{"type":"mcp_call","id":"mc_1","server_label":"deepwiki","name":"ask","arguments":"{}","output":"42","error":null},
		{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Oslo is busy."}]},
		{"role":"user","content":"more"}]}`
	var r Request
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("refused: %+v", err)
	}
	want := []qp.Message{
		{Role: "user", Text: "news in Oslo, and draw it"},
		{Role: "assistant", Text: "[an image, generated]\n\nOslo is busy."},
		{Role: "user", Text: "more"},
	}
	a, _ := json.Marshal(r.Conversation())
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatalf("got  %s\nwant %s", a, b)
	}
	// A call the client runs (a tool the proxy does not offer) stays a 400.
	if err := validated(`{"model":"m","input":[{"role":"user","content":"hi"},{"type":"local_shell_call","id":"l","call_id":"c","status":"completed","action":{"type":"exec","command":["ls"]}}]}`); err == nil || err.Param != "input[1].type" {
		t.Fatalf("a local_shell_call: %+v, want a 400 naming input[1].type", err)
	}
}
