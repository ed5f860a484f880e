package server

import (
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
)

// An account out for a refusal another instance met (or this one before a
// restart) is told in health's rejected, as its entry says auth_failed:
// until 2026-12-07 only the refusals this instance met were, so two
// instances on one database disagreed, one naming the account, the other
// nothing beside an auth_failed entry.
func TestASharedRefusalIsToldInRejected(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	refused := accounts.Status{ID: "ada@x.io", State: accounts.StateAuthFailed, FailureClass: string(accounts.ClassAuth), StateAt: at}
	ready := accounts.Status{ID: "bob@x.io", State: accounts.StateReady, StateAt: at.Add(time.Minute)}
	var r rejections
	got := r.latest([]accounts.Status{ready, refused})
	if got == nil || got.Account != "ada@x.io" || !got.At.Equal(at) || !strings.HasPrefix(got.Reason, "credentials rejected, met by another instance") {
		t.Fatalf("rejected %+v", got)
	}
	forbidden := refused
	forbidden.FailureClass = string(accounts.ClassForbidden)
	if got := r.latest([]accounts.Status{forbidden}); got == nil || !strings.HasPrefix(got.Reason, "refused with HTTP 403") {
		t.Fatalf("forbidden: rejected %+v", got)
	}
	// Reset or given new credentials since: not a refusal of what it holds.
	reset := refused
	reset.Afresh = at.Add(time.Second)
	if got := r.latest([]accounts.Status{reset}); got != nil {
		t.Fatalf("after a reset: rejected %+v", got)
	}
	// A refusal this instance met keeps its own words, and the newest wins.
	r.set("bob@x.io", rejection{At: at.Add(time.Hour), Account: "bob@x.io", Reason: "credentials rejected: Qwen said so"})
	if got := r.latest([]accounts.Status{ready, refused}); got == nil || got.Account != "bob@x.io" || got.Reason != "credentials rejected: Qwen said so" {
		t.Fatalf("with one met here: rejected %+v", got)
	}
	r.set("ada@x.io", rejection{At: at, Account: "ada@x.io", Reason: "credentials rejected: Qwen said so"})
	r.clear("bob@x.io")
	if got := r.latest([]accounts.Status{ready, refused}); got == nil || got.Reason != "credentials rejected: Qwen said so" {
		t.Fatalf("met here too: rejected %+v", got)
	}
}
