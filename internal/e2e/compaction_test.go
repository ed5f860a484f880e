package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// compactionOf is the compaction block a compaction answer holds alone,
// failing the test on any other answer.
func compactionOf(t *testing.T, resp *http.Response) (summary string, block json.RawMessage) {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	var msg struct {
		StopReason string            `json:"stop_reason"`
		Content    []json.RawMessage `json:"content"`
	}
	var c struct {
		Type             string
		Content          *string
		EncryptedContent json.RawMessage `json:"encrypted_content"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &msg) != nil || msg.StopReason != "compaction" || len(msg.Content) != 1 ||
		json.Unmarshal(msg.Content[0], &c) != nil || c.Type != "compaction" || c.Content == nil || *c.Content == "" || string(c.EncryptedContent) != "null" {
		t.Fatalf("compaction answer %d %s", resp.StatusCode, b)
	}
	return *c.Content, msg.Content[0]
}

// TestMessagesCompactionIsQwensSummaryInTheChat: a compaction request (the
// SDK tool runner's compactBeforeNextTurn(), beta compact-2026-09-04) got an
// ordinary answer, which the SDK threw away ("Compaction produced no
// summary"). Qwen is asked for the summary in the conversation's chat (the
// request's instructions replacing the proxy's ask), the answer is the
// compaction block alone, stop_reason "compaction", streamed or not, and
// recorded as a call; the conversation that begins with the block goes on
// in the same chat, with only its new message, or, when nothing follows
// the block, with the ask to go on from it.
func TestMessagesCompactionIsQwensSummaryInTheChat(t *testing.T) {
	storetest.EachBackend(t, testMessagesCompactionIsQwensSummaryInTheChat)
}

func testMessagesCompactionIsQwensSummaryInTheChat(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	const head = `{"model":"claude-x","max_tokens":64,"system":"You are terse.","messages":[`
	first := `{"role":"user","content":"hello"}`
	answer, _ := messagesCall(t, e, head+first+`]}`)

	resp := postJSON(t, e, "/v1/messages", head+first+`,{"role":"assistant","content":`+string(answer)+`}],"compaction":{"type":"summarize"}}`, nil)
	_, block := compactionOf(t, resp)
	if told := lastUpstreamMessage(t, e); !strings.HasPrefix(told, "Summarize the conversation so far") {
		t.Fatalf("the summary was asked as %q", told)
	}

	// The compacted conversation finds the chat — after a restart too, by
	// the key stored — and only its new turn goes up.
	e.restart()
	conv := `{"role":"assistant","content":[` + string(block) + `]},{"role":"user","content":"go on"}`
	answer, _ = messagesCall(t, e, head+conv+`]}`)
	if told := lastUpstreamMessage(t, e); told != "go on" {
		t.Fatalf("after the compaction the chat was told %q", told)
	}

	// Streamed, with instructions; then the block alone, as the tool
	// runner sends it when it compacted between a tool result and the
	// model's next step: the model is asked to go on.
	conv += `,{"role":"assistant","content":` + string(answer) + `}`
	resp = postJSON(t, e, "/v1/messages", head+conv+`],"stream":true,"compaction":{"type":"summarize","instructions":"Keep the names."}}`, nil)
	b, _ := io.ReadAll(resp.Body)
	events := string(b)
	if resp.StatusCode != http.StatusOK || !strings.Contains(events, `"content_block":{"content":null,"encrypted_content":null,"tool_changes":[],"type":"compaction"}`) ||
		!strings.Contains(events, `"delta":{"content":"`) || !strings.Contains(events, `"type":"compaction_delta"`) || !strings.Contains(events, `"stop_reason":"compaction"`) {
		t.Fatalf("streamed compaction %d %s", resp.StatusCode, b)
	}
	if told := lastUpstreamMessage(t, e); told != "Keep the names." {
		t.Fatalf("the instructions were told as %q", told)
	}
	var summary string
	for _, line := range strings.Split(events, "\n") {
		var ev struct {
			Delta struct{ Type, Content string }
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok && json.Unmarshal([]byte(data), &ev) == nil && ev.Delta.Type == "compaction_delta" {
			summary = ev.Delta.Content
		}
	}
	summaryJSON, _ := json.Marshal(summary)
	messagesCall(t, e, head+`{"role":"assistant","content":[{"type":"compaction","content":`+string(summaryJSON)+`,"encrypted_content":null}]}]}`)
	if told := lastUpstreamMessage(t, e); !strings.HasPrefix(told, "Go on from your summary above") {
		t.Fatalf("after a trailing compaction the chat was told %q", told)
	}
	if e.sim.Chats() != 1 {
		t.Fatalf("the conversation took %d Qwen chats", e.sim.Chats())
	}
	if rows := e.rows(); len(rows) != 5 || rows[1].FinishReason != "stop" {
		t.Fatalf("%d calls recorded: %+v", len(rows), rows)
	}

	// A compaction without a summary, sent back, is a no-op.
	resp = postJSON(t, e, "/v1/messages", head+first+`,{"role":"assistant","content":`+string(answer)+`},
		{"role":"assistant","content":[{"type":"compaction","content":null,"encrypted_content":null}]},{"role":"user","content":"more"}]}`, nil)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Fatalf("a failed compaction sent back: %d %s", resp.StatusCode, b)
	}

	resp = postJSON(t, e, "/v1/messages", head+first+`],"compaction":{"type":"trim"}}`, nil)
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "compaction.type") {
		t.Fatalf("a bad compaction: %d %s", resp.StatusCode, b)
	}
}

// TestACompactionKeepsTheToolChangesItReplaces: the system messages that
// added and removed tools are among those a compaction replaces, so its
// block reports their effect (tool_changes: the added tool's definition, the
// declared tool withdrawn), and the compacted conversation, which sends the
// block back, is offered the same tools: nothing is told again, and the
// added tool is still called.
func TestACompactionKeepsTheToolChangesItReplaces(t *testing.T) {
	e := start(t, nil)
	const head = `{"model":"claude-x","max_tokens":64,
		"tools":[{"name":"read","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}},{"name":"grep","input_schema":{"type":"object"}}],"messages":[`
	const write = `{"name":"write","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}`
	first := `{"role":"user","content":"hello"},{"role":"system","content":[{"type":"tool_addition","tool":{"type":"tool_definition","definition":` + write + `}},
		{"type":"tool_removal","tool":{"type":"tool_reference","name":"grep"}}]}`
	answer, _ := messagesCall(t, e, head+first+`]}`)
	_, block := compactionOf(t, postJSON(t, e, "/v1/messages", head+first+`,{"role":"assistant","content":`+string(answer)+`}],"compaction":{"type":"summarize"}}`, nil))
	var c struct {
		ToolChanges json.RawMessage `json:"tool_changes"`
	}
	want := `[{"type":"tool_removal","tool":{"type":"tool_reference","name":"grep"}},{"type":"tool_addition","tool":{"type":"tool_definition","definition":` + write + `}}]`
	if json.Unmarshal(block, &c) != nil || !sameJSON(t, c.ToolChanges, want) {
		t.Fatalf("tool_changes %s", block)
	}
	_, blocks := messagesCall(t, e, head+`{"role":"assistant","content":[`+string(block)+`]},{"role":"user","content":"use write with {\"path\":\"a.txt\"}"}]}`)
	if last := blocks[len(blocks)-1]; last.Type != "tool_use" || last.Name != "write" {
		t.Fatalf("after the compaction the added tool was not called: %+v", blocks)
	}
	if told := lastUpstreamMessage(t, e); told != `use write with {"path":"a.txt"}` || e.sim.Chats() != 1 {
		t.Fatalf("after the compaction the chat was told %q (%d chats)", told, e.sim.Chats())
	}
}
