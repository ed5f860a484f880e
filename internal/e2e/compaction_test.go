package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMessagesCompactionIsAnsweredWithoutASummary: a compaction request (the
// SDK tool runner's compactBeforeNextTurn(), beta compact-2026-09-04) got an
// ordinary Qwen answer, a turn added to the chat that the SDK then threw
// away ("Compaction produced no summary"). It is answered as Anthropic
// answers a compaction that produced none — a compaction block with
// content null, stop_reason "compaction" — without asking Qwen or
// recording a call, streamed or not; the block sent back is a no-op, and
// the conversation goes on in its chat.
func TestMessagesCompactionIsAnsweredWithoutASummary(t *testing.T) {
	e := start(t, nil)
	const head = `{"model":"claude-x","max_tokens":64,"system":"You are terse.","messages":[`
	first := `{"role":"user","content":"hello"}`
	answer, _ := messagesCall(t, e, head+first+`]}`)
	conv := first + `,{"role":"assistant","content":` + string(answer) + `}`
	upstream := len(upstreamCompletions(t, e.sim))

	resp := postJSON(t, e, "/v1/messages", head+conv+`],"compaction":{"type":"summarize"}}`, nil)
	b, _ := io.ReadAll(resp.Body)
	var msg struct {
		ID         string            `json:"id"`
		StopReason string            `json:"stop_reason"`
		Content    []json.RawMessage `json:"content"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &msg) != nil || msg.StopReason != "compaction" || len(msg.Content) != 1 ||
		string(msg.Content[0]) != `{"type":"compaction","content":null,"encrypted_content":null}` || !strings.HasPrefix(msg.ID, "msg_") {
		t.Fatalf("compaction answer %d %s", resp.StatusCode, b)
	}
	resp = postJSON(t, e, "/v1/messages", head+conv+`],"stream":true,"compaction":{"type":"summarize","instructions":"Keep the names."}}`, nil)
	b, _ = io.ReadAll(resp.Body)
	events := string(b)
	if resp.StatusCode != http.StatusOK || !strings.Contains(events, `"content_block":{"type":"compaction","content":null,"encrypted_content":null}`) ||
		!strings.Contains(events, `"stop_reason":"compaction"`) || !strings.HasSuffix(events, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n") {
		t.Fatalf("streamed compaction %d %s", resp.StatusCode, b)
	}
	if n := len(upstreamCompletions(t, e.sim)); n != upstream {
		t.Fatalf("a compaction asked Qwen: %d completions, %d before", n, upstream)
	}
	if rows := e.rows(); len(rows) != 1 {
		t.Fatalf("%d calls recorded, want only the first", len(rows))
	}

	// The failed compaction sent back changes nothing: the next turn goes
	// on in the chat, with only its new message.
	conv += `,{"role":"assistant","content":[{"type":"compaction","content":null,"encrypted_content":null}]},{"role":"user","content":"go on"}`
	messagesCall(t, e, head+conv+`]}`)
	if told := lastUpstreamMessage(t, e); told != "go on" || e.sim.Chats() != 1 {
		t.Fatalf("after a failed compaction the chat was told %q (%d chats)", told, e.sim.Chats())
	}

	resp = postJSON(t, e, "/v1/messages", head+first+`],"compaction":{"type":"trim"}}`, nil)
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "compaction.type") {
		t.Fatalf("a bad compaction: %d %s", resp.StatusCode, b)
	}
}
