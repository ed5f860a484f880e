package session

import (
	"testing"

	qp "qwenproxy"
)

// TestAKeyCostsTwoAllocations: a conversation's key costs its hash and
// its hex string; the prefix, the digest and its hex go through buffers
// the call already has ([]byte(prefix) and hex.EncodeToString(h.Sum(nil))
// made three allocations more a key, and a call computes several).
func TestAKeyCostsTwoAllocations(t *testing.T) {
	msgs := []qp.Message{{Role: "system", Text: "be brief"}, {Role: "user", Text: "benchmark"}}
	answer := &qp.Message{Role: "assistant", Text: "ok"}
	Key(msgs, answer) // the scratch buffers' pool filled
	if n := testing.AllocsPerRun(100, func() { Key(msgs, answer) }); n > 2 {
		t.Fatalf("%v allocations a key", n)
	}
}
