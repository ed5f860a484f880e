package translate

import (
	"testing"

	qp "qwenproxy"
)

// A system message marked Continued (a Responses turn's input after the
// answers of the response it continues) is not the system prompt: it is
// told with its turn, as one after the first answer is.
func TestAContinuedSystemMessageIsToldWithItsTurn(t *testing.T) {
	msgs := []qp.Message{
		{Role: "system", Text: "You are terse."},
		{Role: "developer", Text: "Answer in French.", Continued: true},
		{Role: "user", Text: "next"},
	}
	if got := SystemText(msgs); got != "You are terse." {
		t.Fatalf("system prompt %q", got)
	}
	if got := UpstreamMessage(msgs, Plan{}).Content; got != "System: Answer in French.\n\nnext" {
		t.Fatalf("turn %q", got)
	}
	msgs[1].Continued = false // a first turn's: the system prompt
	if got := SystemText(msgs); got != "You are terse.\n\nAnswer in French." {
		t.Fatalf("system prompt %q", got)
	}
}
