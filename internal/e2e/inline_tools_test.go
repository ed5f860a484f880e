package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// messagesCall posts a Messages body and returns the answer's content
// blocks (as sent, and decoded), failing the test on anything but a 200.
func messagesCall(t *testing.T, e *env, body string) (json.RawMessage, []struct{ Type, ID, Name string }) {
	t.Helper()
	resp := postJSON(t, e, "/v1/messages", body, nil)
	b, _ := io.ReadAll(resp.Body)
	var msg struct {
		Content json.RawMessage `json:"content"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &msg) != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var blocks []struct{ Type, ID, Name string }
	if err := json.Unmarshal(msg.Content, &blocks); err != nil {
		t.Fatal(err)
	}
	return msg.Content, blocks
}

// TestMessagesInlineToolChangesChangeTheOfferedTools: the SDK's toolRunner
// addTools() and removeTools() send tool_addition and tool_removal blocks in
// role "system" messages (betas inline-tools-2026-09-15 and mid-conversation
// tool changes). They were a 400 ("only text blocks are supported here");
// now the model is offered the tool set in effect from where they stand,
// told to the chat as a changed tools list is, and the conversation, resent
// with them, keeps its Qwen chat.
func TestMessagesInlineToolChangesChangeTheOfferedTools(t *testing.T) {
	e := start(t, nil)
	const head = `{"model":"claude-x","max_tokens":64,"system":"You are a coding agent.",
		"tools":[{"name":"read","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}],"messages":[`
	const addWrite = `{"role":"system","content":[{"type":"tool_addition","tool":{"type":"tool_definition","definition":
		{"name":"write","description":"Writes a file.","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}}}]}`
	first := `{"role":"user","content":"hello"}`
	answer, _ := messagesCall(t, e, head+first+`]}`)
	if told := lastUpstreamMessage(t, e); !strings.Contains(told, "### read") || strings.Contains(told, "### write") {
		t.Fatalf("first turn told %q", told)
	}

	// A tool added by value: offered from this turn on, the tools told again.
	conv := first + `,{"role":"assistant","content":` + string(answer) + `},` + addWrite + `,{"role":"user","content":"use write with {\"path\":\"a.txt\"}"}`
	content, blocks := messagesCall(t, e, head+conv+`]}`)
	last := blocks[len(blocks)-1]
	if last.Type != "tool_use" || last.Name != "write" {
		t.Fatalf("the added tool was not called: %s", content)
	}
	if told := lastUpstreamMessage(t, e); !strings.HasPrefix(told, "[System instructions]") || !strings.Contains(told, "### write") || !strings.Contains(told, "### read") {
		t.Fatalf("the changed tools were not told: %q", told)
	}

	// The runner's removal follows the tool results: the result goes up,
	// and the tools without write are told with it.
	conv += `,{"role":"assistant","content":` + string(content) + `},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + last.ID + `","content":"written"}]},
		{"role":"system","content":[{"type":"tool_removal","tool":{"type":"tool_reference","name":"write"}}]}`
	answer, _ = messagesCall(t, e, head+conv+`]}`)
	if told := lastUpstreamMessage(t, e); !strings.Contains(told, "### read") || strings.Contains(told, "### write") || !strings.Contains(told, "written") {
		t.Fatalf("the removal was not told: %q", told)
	}

	// The same conversation goes on: nothing is told again, and a
	// reference brings a removed tool back.
	conv += `,{"role":"assistant","content":` + string(answer) + `},{"role":"user","content":"go on"}`
	answer, _ = messagesCall(t, e, head+conv+`]}`)
	if told := lastUpstreamMessage(t, e); told != "go on" {
		t.Fatalf("an unchanged tool set was told again: %q", told)
	}
	conv += `,{"role":"assistant","content":` + string(answer) + `},
		{"role":"system","content":[{"type":"text","text":"Writing is allowed again."},{"type":"tool_addition","tool":{"type":"tool_reference","name":"write"}}]},
		{"role":"user","content":"use write with {\"path\":\"b.txt\"}"}`
	_, blocks = messagesCall(t, e, head+conv+`]}`)
	if last := blocks[len(blocks)-1]; last.Type != "tool_use" || last.Name != "write" {
		t.Fatalf("the tool brought back was not called: %+v", blocks)
	}
	if told := lastUpstreamMessage(t, e); !strings.Contains(told, "### write") || !strings.Contains(told, "System: Writing is allowed again.") {
		t.Fatalf("the tool brought back was not told: %q", told)
	}
	if e.sim.Chats() != 1 {
		t.Fatalf("the conversation took %d Qwen chats", e.sim.Chats())
	}

	// A reference to a tool the conversation never had is Anthropic's 400.
	resp := postJSON(t, e, "/v1/messages", head+first+`,{"role":"system","content":[{"type":"tool_removal","tool":{"type":"tool_reference","name":"nope"}}]}]}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "messages.1.content.0.tool.name") {
		t.Fatalf("unresolved reference: %d %s", resp.StatusCode, b)
	}
}

// responsesCall posts a Responses body and returns its output items, failing
// the test on anything but a 200.
func responsesCall(t *testing.T, e *env, body string) []map[string]any {
	t.Helper()
	resp := postJSON(t, e, "/v1/responses", body, nil)
	b, _ := io.ReadAll(resp.Body)
	var r struct {
		Output []map[string]any `json:"output"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &r) != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	return r.Output
}

// TestResponsesAdditionalToolsAreOfferedFromWhereTheyStand: openai 6.49's
// additional_tools input item (role developer) makes more tools available
// from its place in the conversation. It was a 400 listing the supported
// item types; now its tools join the request's, told to the chat as a
// changed tools list is, and the history resent with the item keeps its
// Qwen chat.
func TestResponsesAdditionalToolsAreOfferedFromWhereTheyStand(t *testing.T) {
	e := start(t, nil)
	const head = `{"model":"qwen3-max","store":false,"instructions":"You are a coding agent.",
		"tools":[{"type":"function","name":"read","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}],"input":[`
	const addWrite = `{"type":"additional_tools","role":"developer","tools":[{"type":"function","name":"write","description":"Writes a file.",
		"parameters":{"type":"object","properties":{"path":{"type":"string"}}}}]}`
	first := `{"role":"user","content":"hello"}`
	out := responsesCall(t, e, head+first+`]}`)
	text := out[len(out)-1]["content"].([]any)[0].(map[string]any)["text"].(string)
	if told := lastUpstreamMessage(t, e); !strings.Contains(told, "### read") || strings.Contains(told, "### write") {
		t.Fatalf("first turn told %q", told)
	}
	answer, _ := json.Marshal(text)
	conv := first + `,{"role":"assistant","content":` + string(answer) + `},` + addWrite + `,{"role":"user","content":"use write with {\"path\":\"a.txt\"}"}`
	out = responsesCall(t, e, head+conv+`]}`)
	if call := out[len(out)-1]; call["type"] != "function_call" || call["name"] != "write" {
		t.Fatalf("the added tool was not called: %v", out)
	}
	if told := lastUpstreamMessage(t, e); !strings.HasPrefix(told, "[System instructions]") || !strings.Contains(told, "### write") || !strings.Contains(told, "### read") {
		t.Fatalf("the added tool was not told: %q", told)
	}
	call := out[len(out)-1]
	conv += `,{"type":"function_call","call_id":"` + call["call_id"].(string) + `","name":"write","arguments":` + strconvQuote(call["arguments"].(string)) + `},
		{"type":"function_call_output","call_id":"` + call["call_id"].(string) + `","output":"written"}`
	responsesCall(t, e, head+conv+`]}`)
	if told := lastUpstreamMessage(t, e); strings.Contains(told, "### write") || !strings.Contains(told, "written") {
		t.Fatalf("an unchanged tool set was told again: %q", told)
	}
	if e.sim.Chats() != 1 {
		t.Fatalf("the conversation took %d Qwen chats", e.sim.Chats())
	}

	// Only developer provides additional tools, as OpenAI says.
	resp := postJSON(t, e, "/v1/responses", head+`{"type":"additional_tools","role":"user","tools":[]},`+first+`]}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "input[0].role") {
		t.Fatalf("a user's additional tools: %d %s", resp.StatusCode, b)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestStoredAdditionalToolsAreListedAndReferenced: a stored response's
// additional_tools item is listed by GET …/input_items as sent (it was left
// out), and an item_reference to it (the Vercel AI SDK's way of resending
// stored items) offers its tools as the item would.
func TestStoredAdditionalToolsAreListedAndReferenced(t *testing.T) {
	e := start(t, nil)
	const tools = `[{"type":"function","name":"write","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}]`
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":[{"type":"additional_tools","role":"developer","tools":`+tools+`},{"role":"user","content":"hello"}]}`, nil)
	b, _ := io.ReadAll(resp.Body)
	var first struct{ ID string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &first) != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	items, raw := inputItemsOf(t, e, first.ID)
	if len(items) != 2 || items[0].Type != "additional_tools" || items[0].Role != "developer" || !strings.Contains(raw, `"tools":`+tools) {
		t.Fatalf("input items %s", raw)
	}
	out := responsesCall(t, e, `{"model":"qwen3-max","store":false,"input":[{"type":"item_reference","id":"`+items[0].ID+`"},{"role":"user","content":"use write with {\"path\":\"a.txt\"}"}]}`)
	if call := out[len(out)-1]; call["type"] != "function_call" || call["name"] != "write" {
		t.Fatalf("the referenced item's tool was not offered: %v", out)
	}
}
