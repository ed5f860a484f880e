package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
)

type credentialState struct {
	Configured     bool       `json:"configured"`
	Source         string     `json:"source,omitempty"` // stored or environment
	Mode           string     `json:"mode,omitempty"`   // normal (logged in) or guest
	TokenExpiresAt *time.Time `json:"token_expires_at"`
	TokenExpired   *bool      `json:"token_expired,omitempty"`
	Rejected       *rejection `json:"rejected,omitempty"`
	// Accounts is every Qwen account's state: usable or not, cooldown end,
	// token expiry, calls and failures by class.
	Accounts []accounts.Status `json:"accounts"`
}

// rejection is Qwen's last refusal of an account's credentials.
type rejection struct {
	At      time.Time `json:"at"`
	Account string    `json:"account,omitempty"` // the account's id ("cookie", an e-mail; its public id on /health)
	Reason  string    `json:"reason"`
}

// rejections holds Qwen's last refusal of each account, until that
// account's next success: one slot for all let any account's success hide
// another's refusal (a pasted cookie's expiry vanished from /health as soon
// as a signed-in account served a call, while its entry stayed
// auth_failed).
type rejections struct {
	mu sync.Mutex
	by map[string]rejection
	// held is len(by), read without the lock: every successful upstream
	// attempt clears its account's, and while none is held (the common
	// case) that costs no lock.
	held atomic.Int32
}

func (r *rejections) set(account string, rj rejection) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.by == nil {
		r.by = map[string]rejection{}
	}
	r.by[account] = rj
	r.held.Store(int32(len(r.by)))
}

func (r *rejections) clear(account string) {
	if r.held.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.by, account)
	r.held.Store(int32(len(r.by)))
}

// latest is the most recent refusal of an account of snap (or of a call
// made as none), nil when there is none. A refusal met before the
// account's credentials were replaced, or before it was reset, is not one
// of what it holds now: /health went on telling "credentials rejected" of
// a cookie the operator had just replaced, its entry ready, until the new
// one served a call.
func (r *rejections) latest(snap []accounts.Status) *rejection {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out *rejection
	for account, rj := range r.by {
		i := slices.IndexFunc(snap, func(a accounts.Status) bool { return a.ID == account })
		if account != "" && i < 0 {
			continue // no longer configured
		}
		if i >= 0 && rj.At.Before(snap[i].Afresh) {
			continue // its credentials were replaced, or it was reset, since
		}
		if out == nil || rj.At.After(out.At) || rj.At.Equal(out.At) && rj.Account < out.Account {
			out = &rj
		}
	}
	// An account out for a refusal this instance did not meet (another
	// instance sharing the database met it, or this one before a restart):
	// its entry says auth_failed, and until 2026-12-07 rejected said
	// nothing of it here.
	for _, a := range snap {
		if _, met := r.by[a.ID]; met || a.State != accounts.StateAuthFailed || a.StateAt.IsZero() || a.StateAt.Before(a.Afresh) {
			continue
		}
		rj := rejection{At: a.StateAt, Account: a.ID, Reason: sharedRefusalReason(a.FailureClass)}
		if out == nil || rj.At.After(out.At) || rj.At.Equal(out.At) && rj.Account < out.Account {
			out = &rj
		}
	}
	return out
}

// sharedRefusalReason is the reason of a refusal read from the accounts'
// shared state, which keeps its class, not Qwen's words.
func sharedRefusalReason(class string) string {
	what := "credentials rejected"
	if class == string(accounts.ClassForbidden) {
		what = "refused with HTTP 403 several times in a row (a ban, or Qwen's firewall blocking this address)"
	}
	return what + ", met by another instance sharing the database or by this one before it restarted: the account's entry and that instance's log say more"
}

// UpstreamResult hears of every upstream attempt, made as account, to tell
// in health when Qwen rejects an account's credentials (401/403/
// Unauthorized, or a firewall page) and when it takes them again.
func (s *Server) UpstreamResult(account string, err error) {
	if err == nil {
		s.rejected.clear(account)
		return
	}
	if qe, ok := qwen.AsError(err); ok && (qe.Kind == qwen.KindAuth || qe.Kind == qwen.KindFirewall) {
		// Both are a refusal of these credentials (a firewall page asks for
		// a fresh cookie), but the reason says which: a firewall page read
		// as "credentials rejected" sent an operator to check a password.
		reason := "credentials rejected: "
		switch {
		case qe.Kind == qwen.KindFirewall && account != "" && account != accounts.CookieID:
			// An account the proxy signs in uses no cookie: a fresh one
			// would not help (its call's client and log are told the same).
			reason = "refused by Qwen's firewall (" + accounts.FirewallAdvice(account) + "): "
		case qe.Kind == qwen.KindFirewall:
			reason = "refused by Qwen's firewall (a fresh Cookie header from a browser that passed its check helps): "
		case qe.Forbidden():
			reason = "refused with HTTP 403 (a ban, or Qwen's firewall blocking this address; the account rests and is tried again): "
		}
		s.rejected.set(account, rejection{At: s.now(), Account: account, Reason: reason + qe.Error()})
	}
}

// credentialState describes the configured credentials, never their
// values, from the account pool's memory: health never waits on a sign-in
// or the database. The top-level token fields are the pasted cookie's
// (else the soonest-expiring usable account's, or of any account while none
// is usable); accounts lists every account.
func (s *Server) credentialState(context.Context) credentialState {
	snap := s.deps.Accounts.Snapshot()
	st := credentialState{Configured: len(snap) > 0, Rejected: s.rejected.latest(snap), Accounts: snap}
	if !st.Configured {
		return st
	}
	var soonest, soonestUsable *time.Time
	for _, a := range snap {
		if a.ID == accounts.CookieID {
			st.Source, st.Mode = a.Source, a.Mode
			soonest, soonestUsable = a.TokenExpiresAt, a.TokenExpiresAt
			break
		}
		if a.TokenExpiresAt != nil && (soonest == nil || a.TokenExpiresAt.Before(*soonest)) {
			soonest = a.TokenExpiresAt
		}
		// A resting or refused account keeps its last token, not renewed
		// while it rests: its expiry says nothing of the calls.
		if a.Usable && a.TokenExpiresAt != nil && (soonestUsable == nil || a.TokenExpiresAt.Before(*soonestUsable)) {
			soonestUsable = a.TokenExpiresAt
		}
		st.Mode = a.Mode
	}
	st.TokenExpiresAt = soonestUsable
	if st.TokenExpiresAt == nil {
		st.TokenExpiresAt = soonest // no usable account: the soonest of all
	}
	if st.TokenExpiresAt != nil {
		expired := !s.now().Before(*st.TokenExpiresAt)
		st.TokenExpired = &expired
	}
	return st
}

// public is st without e-mail addresses.
func (st credentialState) public() credentialState {
	if st.Rejected != nil {
		r := *st.Rejected
		r.Reason = accounts.PublicText(r.Reason, st.Accounts)
		if r.Account != "" {
			r.Account = accounts.PublicID(r.Account)
		}
		st.Rejected = &r
	}
	out := make([]accounts.Status, len(st.Accounts))
	for i, a := range st.Accounts {
		out[i] = a.Public()
	}
	st.Accounts = out
	return st
}

// health serves GET /health: 200 as soon as the server accepts calls. It
// needs no key, so it names accounts without their e-mail addresses
// (/health/detailed and /metrics show them). It looks at the database's
// files (a stat, no query: see fileNoticer), so that a monitor probing
// only /health makes the server notice a SQLite file deleted under it, and
// save its calls.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if n, ok := s.deps.Store.(fileNoticer); ok {
		n.Notice()
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":         "ok",
		"uptime_seconds": int64(s.now().Sub(s.started).Seconds()),
		"credentials":    s.credentialState(r.Context()).public(),
		"api_keys":       s.keyState(r.Context()),
	})
}

// fileNoticer is a store that looks at its database's files cheaply: a
// stat of each, no query; the save of the calls of a file deleted under
// the server runs in the background (sqlstore.Store.Notice), so /health
// stays a cheap liveness probe.
type fileNoticer interface {
	Notice()
}

// keyState says which key the /v1 routes need, never a key: "none", "any"
// (proxy keys exist) or "admin" (admin keys exist: the history routes need
// one). The dashboard reads it to ask for a key before it asks for data.
func (s *Server) keyState(ctx context.Context) string {
	switch keys := s.deps.Keys; {
	case keys == nil || !keys.Enabled(ctx):
		return "none"
	case keys.AdminRequired(ctx):
		return "admin"
	}
	return "any"
}

// readiness runs the checks of /health/ready.
func (s *Server) readiness(ctx context.Context) (bool, map[string]string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "credentials": "ok", "recorder": "ok"}
	ready := true
	if err := s.deps.Store.Probe(ctx); err != nil {
		checks["database"], ready = "unavailable: "+err.Error(), false
	}
	if err := s.deps.Accounts.Unavailable(); err != nil {
		var u *accounts.Unavailable
		if errors.As(err, &u) && u.Reason != accounts.ReasonNone {
			checks["credentials"] = "no_usable_account: " + u.Reason
		} else {
			checks["credentials"] = "not_configured"
		}
		ready = false
	}
	st := s.deps.Recorder.Stats()
	if st.Refusal != "" && checks["database"] == "ok" {
		// The check's one-row write fits where the calls' batches do not.
		checks["database"], ready = "refuses the recorder's writes: "+st.Refusal, false
	}
	switch {
	case st.Dropped > 0: // until restart: an operator must know the trail has a hole
		checks["recorder"], ready = fmt.Sprintf("records were lost: %d calls dropped since start", st.Dropped), false
	case st.Held > 0:
		checks["recorder"], ready = fmt.Sprintf("not durable: %d records in memory; neither the database nor the spool takes writes", st.Held), false
	case s.cfg.QueueSize > 0 && st.Queued*10 >= s.cfg.QueueSize*9:
		checks["recorder"], ready = fmt.Sprintf("queue %d of %d full", st.Queued, s.cfg.QueueSize), false
	case st.SpoolBytes > 0:
		checks["recorder"], ready = fmt.Sprintf("spooling: %d bytes wait for the database", st.SpoolBytes), false
	default:
		if room := s.deps.Recorder.Room(); room != "" { // before a batch fails there
			checks["recorder"], ready = room, false
		}
	}
	return ready, checks
}

// ready serves GET /health/ready: 503 unless the database takes a write and
// a read, credentials are configured, and the recorder keeps up (its queue
// not nearly full, nothing waiting in its spool or in memory, nothing
// dropped since start, room on the disks it writes to).
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ready, checks := s.readiness(r.Context())
	status, state := http.StatusOK, "ready"
	if !ready {
		status, state = http.StatusServiceUnavailable, "not_ready"
	}
	writeJSON(w, status, map[string]any{"status": state, "checks": checks})
}

// detailed serves GET /health/detailed: the readiness checks and the
// figures behind them. It answers 200 whether ready or not, readiness in
// its body: it is the report a person or the dashboard reads (a failed
// status makes a browser log an error at each of the dashboard's reads),
// where /health/ready is the probe.
func (s *Server) detailed(w http.ResponseWriter, r *http.Request) {
	ready, checks := s.readiness(r.Context())
	st := s.deps.Recorder.Stats()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	status := "ready"
	if !ready {
		status = "not_ready"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":         status,
		"checks":         checks,
		"uptime_seconds": int64(s.now().Sub(s.started).Seconds()),
		"credentials":    s.credentialState(r.Context()),
		"recorder": map[string]any{
			"queued": st.Queued, "queued_bytes": st.QueuedBytes, "queue_size": s.cfg.QueueSize, "written": st.Written, "spooled": st.Spooled,
			"replayed": st.Replayed, "spool_bytes": st.SpoolBytes, "dropped": st.Dropped,
			"held": st.Held, "held_bytes": st.HeldBytes, "corrupt_spool_lines": st.Corrupt, "rejected": st.Rejected,
		},
		"sessions": map[string]any{"in_memory": s.deps.Sessions.Cached(), "turns_in_progress": s.deps.Sessions.Active()},
		"runtime":  map[string]any{"goroutines": runtime.NumGoroutine(), "heap_bytes": mem.HeapAlloc, "go": runtime.Version()},
	})
}
