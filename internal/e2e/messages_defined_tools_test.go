package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// TestMessagesOfferAnthropicsDefinedClientTools: a Messages call declaring
// bash and the text editor by type and name alone (as the Anthropic SDKs'
// examples do) gets the model's call of them as tool_use blocks with their
// input; it was a 400 calling them server tools.
func TestMessagesOfferAnthropicsDefinedClientTools(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":64,
		"tools":[{"type":"bash_20250124","name":"bash"},{"type":"text_editor_20250728","name":"str_replace_based_edit_tool"}],
		"messages":[{"role":"user","content":"use bash with {\"command\":\"ls -la\"}"}]}`, nil)
	b, _ := io.ReadAll(resp.Body)
	var msg struct {
		StopReason string `json:"stop_reason"`
		Content    []struct {
			Type, Name string
			Input      map[string]any
		} `json:"content"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &msg) != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	last := msg.Content[len(msg.Content)-1]
	if msg.StopReason != "tool_use" || last.Type != "tool_use" || last.Name != "bash" || last.Input["command"] != "ls -la" {
		t.Fatalf("answer %s", b)
	}
}
