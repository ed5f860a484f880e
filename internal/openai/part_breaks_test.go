package openai

import (
	"encoding/json"
	"testing"
)

// An assistant message of text parts is told and keyed with the parts
// joined by newlines, and says where they stand (qp.Message.PartBreaks):
// run together, the parts are the answer a client kept as them. A part
// after nothing gets no newline, so no break.
func TestTextPartsSayWhereTheirNewlinesStand(t *testing.T) {
	var req ChatRequest
	if err := json.Unmarshal([]byte(`{"messages":[{"role":"user","content":"go"},`+
		`{"role":"assistant","content":[{"type":"text","text":""},{"type":"text","text":"Once upon"},{"type":"text","text":" a time."}]},`+
		`{"role":"user","content":"more"}]}`), &req); err != nil {
		t.Fatal(err)
	}
	if err := req.Validate(); err != nil {
		t.Fatal(err)
	}
	m := Conversation(req.Messages)[1]
	if m.Text != "Once upon\n a time." || len(m.PartBreaks) != 1 || m.PartBreaks[0] != 9 || m.PartsRunTogether() != "Once upon a time." {
		t.Fatalf("text %q, breaks %v", m.Text, m.PartBreaks)
	}
}
