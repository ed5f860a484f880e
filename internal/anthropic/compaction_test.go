package anthropic

import (
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

// said is a conversation's roles and texts, one "role: text|" a message.
func said(msgs []qp.Message) string {
	var s string
	for _, m := range msgs {
		s += m.Role + ": " + m.Text + "|"
	}
	return s
}

// A compaction block sent back is a no-op without a summary (a message of
// only such blocks is as if absent); with one, its summary is the
// assistant's text and its tool_changes apply where it stands.
func TestCompactionBlocksSentBack(t *testing.T) {
	const tools = `"tools":[{"name":"f","input_schema":{"type":"object"}}]`
	var r Request
	body := `{"model":"m","max_tokens":5,` + tools + `,"messages":[{"role":"user","content":"hi"},
		{"role":"assistant","content":[{"type":"compaction","content":null,"encrypted_content":null}]},{"role":"user","content":"again"}]}`
	if err := openai.Decode([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(false); err != nil {
		t.Fatal(err)
	}
	if got := said(r.Conversation()); got != "user: hi|user: again|" {
		t.Fatalf("conversation %s", got)
	}
	r = Request{}
	body = `{"model":"m","max_tokens":5,` + tools + `,"messages":[{"role":"assistant","content":[{"type":"compaction","content":"We spoke of f.",
		"tool_changes":[{"type":"tool_removal","tool":{"type":"tool_reference","name":"f"}}]}]},{"role":"user","content":"again"}]}`
	if err := openai.Decode([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(false); err != nil {
		t.Fatal(err)
	}
	set, _ := r.ToolSet()
	if got := said(r.Conversation()); got != "assistant: We spoke of f.|user: again|" || len(set.Tools) != 0 {
		t.Fatalf("conversation %s, tools %+v", got, set.Tools)
	}
	for block, want := range map[string]string{
		`{"type":"compaction","content":""}`:                                   "messages.1.content.0.content: must not be empty (null for a compaction without a summary)",
		`{"type":"compaction","content":"s","tool_changes":[{"type":"text"}]}`: `messages.1.content.0.tool_changes.0.type: must be tool_addition or tool_removal, not "text"`,
	} {
		wantError(t, block, validated(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[`+block+`]},{"role":"user","content":"x"}]}`), want)
	}
	wantError(t, "type", validated(`{"model":"m","max_tokens":5,"compaction":{"type":"x"},"messages":[{"role":"user","content":"hi"}]}`), `compaction.type: must be summarize, not "x"`)
}

// A compaction request asks for the summary after its conversation (its
// instructions replacing the proxy's ask), and a conversation that ends
// with a summary asks the model to go on from it; a user message after the
// summary is the turn itself.
func TestTurnAsksForTheSummaryAndGoesOnFromIt(t *testing.T) {
	for body, want := range map[string]string{
		`"compaction":{"type":"summarize"},"messages":[{"role":"user","content":"hi"}]`:                                        "user: hi|user: " + summarizeAsk + "|",
		`"compaction":{"type":"summarize","instructions":"Names only."},"messages":[{"role":"user","content":"hi"}]`:           "user: hi|user: Names only.|",
		`"compaction":{"type":"summarize","instructions":"  "},"messages":[{"role":"user","content":"hi"}]`:                    "user: hi|user: " + summarizeAsk + "|",
		`"messages":[{"role":"assistant","content":[{"type":"compaction","content":"S"}]}]`:                                    "assistant: S|user: " + goOnAsk + "|",
		`"messages":[{"role":"assistant","content":[{"type":"compaction","content":"S"}]},{"role":"system","content":"note"}]`: "assistant: S|system: note|user: " + goOnAsk + "|",
		`"messages":[{"role":"assistant","content":[{"type":"compaction","content":"S"}]},{"role":"user","content":"go"}]`:     "assistant: S|user: go|",
	} {
		var r Request
		if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,`+body+`}`), &r); err != nil {
			t.Fatal(err)
		}
		if err := r.Validate(false); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if got := said(r.Turn()); got != want {
			t.Errorf("%s:\n got %s\nwant %s", body, got, want)
		}
	}
}
