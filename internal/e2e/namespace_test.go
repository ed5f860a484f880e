package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestNamespaceToolsAreOfferedAndCalledByNamespace: Codex declares its
// sub-agent tools (spawn_agent, wait_agent, …) inside a Responses API
// namespace tool ({"type":"namespace","name":"multi_agent_v1","tools":[…]}).
// The proxy took the namespace for a hosted tool and left it out, so the
// model was never told of spawn_agent and Codex's sub-agents could not be
// used. Its functions are now offered by their own names, a call of one
// answers with its namespace beside its name (as Codex finds the tool), and
// the history Codex resends with that call and its output continues the chat.
func TestNamespaceToolsAreOfferedAndCalledByNamespace(t *testing.T) {
	const tools = `"tools":[{"type":"function","name":"exec_command","parameters":{"type":"object","properties":{"cmd":{"type":"string"}}}},` +
		`{"type":"namespace","name":"multi_agent_v1","description":"Tools for spawning and managing sub-agents.","tools":[` +
		`{"type":"function","name":"spawn_agent","description":"Spawn a sub-agent.","strict":false,"parameters":{"type":"object","properties":{"message":{"type":"string"}}}},` +
		`{"type":"function","name":"wait_agent","description":"Wait for agents.","parameters":{"type":"object","properties":{"targets":{"type":"array","items":{"type":"string"}}},"required":["targets"]}}]},` +
		`{"type":"web_search"}]`
	const ask = `use spawn_agent with {\"message\":\"list the files\"}`
	for _, stream := range []bool{false, true} {
		e := start(t, nil)
		streamed := map[bool]string{false: "false", true: "true"}[stream]
		resp := postJSON(t, e, "/v1/responses", `{"model":"gpt-5-codex","stream":`+streamed+`,`+tools+`,"input":"`+ask+`"}`, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %v: %d %s", stream, resp.StatusCode, b)
		}
		e.sync()
		row := e.lastRow()
		if sent := row.QwenRequest.String; !strings.Contains(sent, "### spawn_agent") || !strings.Contains(sent, "### wait_agent") {
			t.Fatalf("stream %v: Qwen was not told of the namespace's functions: %.3000s", stream, sent)
		}
		var answer struct {
			Output []struct {
				Type      string `json:"type"`
				CallID    string `json:"call_id"`
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
				Arguments string `json:"arguments"`
			}
		}
		if err := json.Unmarshal([]byte(row.OpenAIResponse.String), &answer); err != nil {
			t.Fatalf("stream %v: recorded answer: %v (%s)", stream, err, b)
		}
		var call struct{ id, args string }
		for _, o := range answer.Output {
			if o.Type == "function_call" && o.Name == "spawn_agent" {
				if o.Namespace != "multi_agent_v1" {
					t.Fatalf("stream %v: spawn_agent called without its namespace: %s", stream, b)
				}
				call.id, call.args = o.CallID, o.Arguments
			}
		}
		if call.id == "" {
			t.Fatalf("stream %v: the answer called no spawn_agent: %s", stream, b)
		}
		if stream && !strings.Contains(string(b), `"name":"spawn_agent","namespace":"multi_agent_v1"`) {
			t.Fatalf("stream: the streamed function_call item has no namespace: %s", b)
		}
		// Codex resends the history: its call (with the namespace) and its output.
		args, _ := json.Marshal(call.args)
		history := `[{"type":"message","role":"user","content":[{"type":"input_text","text":"` + ask + `"}]},` +
			`{"type":"function_call","name":"spawn_agent","namespace":"multi_agent_v1","arguments":` + string(args) + `,"call_id":"` + call.id + `"},` +
			`{"type":"function_call_output","call_id":"` + call.id + `","output":"{\"agent_id\":\"a1\"}"}]`
		resp = postJSON(t, e, "/v1/responses", `{"model":"gpt-5-codex","stream":`+streamed+`,`+tools+`,"input":`+history+`}`, nil)
		b, _ = io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `Thanks: spawn_agent said`) {
			t.Fatalf("stream %v: the call's output was not taken: %d %s", stream, resp.StatusCode, b)
		}
		e.sync()
		if n := e.count(`SELECT COUNT(DISTINCT chat_id) FROM responses`); n != 1 {
			t.Fatalf("stream %v: the call and its output ran in %d Qwen chats", stream, n)
		}
	}
}
