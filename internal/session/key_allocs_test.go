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

// A first turn's history key (no history, or system messages only) is the
// one key of nothing keyed, hashed once: asked on every conversation's
// first call, it allocates nothing and hashes nothing.
func TestAFirstTurnsHistoryKeyIsHashedOnce(t *testing.T) {
	const nothing = "4c2c43181b6f399da20914c4e5f799a2bc5882157cad4f87eb564a503dff954a" // TestKeyEncodingUnchanged's
	for _, history := range [][]qp.Message{nil, {}, {{Role: "system", Text: "be brief"}}, {{Role: "system", Text: "a"}, {Role: "system", Text: "b"}}} {
		if got := Key(history, nil); got != nothing {
			t.Fatalf("Key(%v) = %s, want the key of nothing %s", history, got, nothing)
		}
		if n := testing.AllocsPerRun(100, func() { Key(history, nil) }); n != 0 {
			t.Fatalf("Key(%v): %v allocations", history, n)
		}
	}
	// A history with a message keyed is hashed, system messages before it
	// or not.
	if Key([]qp.Message{{Role: "system", Text: "be brief"}, {Role: "user", Text: "hi"}}, nil) == nothing ||
		Key(nil, &qp.Message{Role: "assistant", Text: "ok"}) == nothing {
		t.Fatal("a conversation keyed as nothing")
	}
}
