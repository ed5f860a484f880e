package server

import (
	"context"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
)

// listUpstream answers the model list from a script, counting the asks.
type listUpstream struct {
	Upstream
	asked int
	fail  bool
}

func (u *listUpstream) Models(context.Context) ([]qwen.Model, error) {
	u.asked++
	if u.fail {
		return nil, &qwen.Error{Kind: qwen.KindServer, Message: "model list unavailable"}
	}
	m := qwen.Model{ID: "qwen3-max"}
	m.Info.IsActive = true
	return []qwen.Model{m}, nil
}

// A model list Qwen fails to give is not asked for again by every call
// (each chat call reads it for the model's capabilities, and waited for its
// own failing fetch): the failure is remembered for modelRetryAfter.
func TestModelListFailureIsNotRefetchedByEveryCall(t *testing.T) {
	up := &listUpstream{fail: true}
	m := newModelCache(up, time.Minute)
	for range 3 {
		if _, err := m.capabilities(context.Background()); err == nil {
			t.Fatal("a failed model list gave no error")
		}
	}
	if up.asked != 1 {
		t.Fatalf("three calls asked for a failing model list %d times, want 1", up.asked)
	}
	m.failed = m.failed.Add(-modelRetryAfter) // the retry is due
	up.fail = false
	caps, err := m.capabilities(context.Background())
	if err != nil || up.asked != 2 {
		t.Fatalf("after modelRetryAfter: %v, asked %d times, want a new fetch", err, up.asked)
	}
	if _, ok := caps["qwen3-max"]; !ok {
		t.Fatalf("capabilities %v lack the fetched model", caps)
	}
}

// A list held from before is served while Qwen fails, and the failing fetch
// is tried again only after modelRetryAfter.
func TestStaleModelListServedWhileQwenFails(t *testing.T) {
	up := &listUpstream{}
	m := newModelCache(up, time.Minute)
	if _, err := m.get(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.fetched = m.fetched.Add(-time.Hour) // expired
	up.fail = true
	for range 3 {
		list, err := m.get(context.Background())
		if err != nil || len(list) == 0 {
			t.Fatalf("stale list not served: %v, %v", list, err)
		}
	}
	if up.asked != 2 {
		t.Fatalf("asked %d times, want 2 (the first fetch and one failed refresh)", up.asked)
	}
}
