package qwen

import (
	"testing"
	"time"
)

// TestACompletionRequestIsOneAllocation: a completion request and the
// arrays it points to are built in one allocation, besides its two ids
// (the message's and its child's) and, on a later turn, its parent's id;
// and the request is what it was: one message, one child, one model, its
// slices at full capacity so that an append copies them.
func TestACompletionRequestIsOneAllocation(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	spec := MessageSpec{Role: "user", Content: "hi"}
	// An id's own cost (one allocation; more under the race detector).
	id := testing.AllocsPerRun(100, func() { newUUID() })
	if n := testing.AllocsPerRun(100, func() { NewCompletionRequest("c", "", "qwen3-max", now, spec) }); n > 1+2*id {
		t.Errorf("a first turn's: %v allocations, ids %v each", n, id)
	}
	if n := testing.AllocsPerRun(100, func() { NewCompletionRequest("c", "p", "qwen3-max", now, spec) }); n > 2+2*id {
		t.Errorf("a later turn's: %v allocations, ids %v each", n, id)
	}
	req := NewCompletionRequest("c", "p", "qwen3-max", now, spec)
	m := req.Messages[0]
	if len(req.Messages) != 1 || cap(req.Messages) != 1 || *req.ParentID != "p" || m.ParentID != req.ParentID ||
		len(m.ChildrenIDs) != 1 || cap(m.ChildrenIDs) != 1 || len(m.ChildrenIDs[0]) != 36 || m.ChildrenIDs[0] == m.Fid ||
		len(m.Models) != 1 || cap(m.Models) != 1 || m.Models[0] != "qwen3-max" {
		t.Errorf("request %+v", req)
	}
	if first := NewCompletionRequest("c", "", "qwen3-max", now, spec); first.ParentID != nil || first.Messages[0].ParentIDCamel != nil {
		t.Errorf("a first turn has a parent: %+v", first)
	}
}
