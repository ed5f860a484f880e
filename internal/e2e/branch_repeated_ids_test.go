package e2e

import (
	"strings"
	"testing"
)

// A chain whose turns each sent an item with one id (ids may repeat across
// calls, not within one: Duplicate item found) is told to a branch's new
// chat whole: the chain read back is items gathered from several calls,
// not one input held to distinct ids.
func TestABranchIsToldAChainWhoseTurnsRepeatAnID(t *testing.T) {
	e := start(t, nil)
	first, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":[{"type":"message","id":"msg_same","role":"user","content":"Remember kiwi."}]}`)
	second, _ := answeredResponse(t, e, `{"model":"qwen3-max","previous_response_id":"`+first+`","input":[{"type":"message","id":"msg_same","role":"user","content":"And plum."}]}`)
	third, _ := answeredResponse(t, e, `{"model":"qwen3-max","previous_response_id":"`+second+`","input":"Go on."}`)
	answeredResponse(t, e, `{"model":"qwen3-max","previous_response_id":"`+third+`","input":"Further."}`)
	// From second again, past which the chat has answered two turns: a
	// branch, in a new chat told the chain.
	_, text := answeredResponse(t, e, `{"model":"qwen3-max","previous_response_id":"`+second+`","input":"Which fruits?"}`)
	if !strings.Contains(text, "Remember kiwi.") || !strings.Contains(text, "And plum.") {
		t.Fatalf("the branch was not told the chain: %q", text)
	}
}
