package accounts

import (
	"cmp"
	"sort"
	"time"

	"qwenproxy/internal/qwen"
)

// Status is an account's state as shown in health, metrics and `accounts
// ls`: never a secret.
type Status struct {
	ID             string           `json:"id"`
	Source         string           `json:"source"` // stored, environment, or for the cookie account where its cookie comes from
	Mode           string           `json:"mode"`   // normal (logged in) or guest
	State          string           `json:"state"`
	Usable         bool             `json:"usable"`
	FailureClass   string           `json:"failure_class,omitempty"`
	CooldownUntil  *time.Time       `json:"cooldown_until,omitempty"`
	SignedIn       bool             `json:"signed_in"`
	TokenExpiresAt *time.Time       `json:"token_expires_at,omitempty"`
	LastUsed       *time.Time       `json:"last_used,omitempty"`
	Calls          int64            `json:"calls"`
	Failures       map[string]int64 `json:"failures"`
	Problem        string           `json:"problem,omitempty"`
}

// Snapshot returns every account's status, by id.
func (p *Pool) Snapshot() []Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	out := make([]Status, 0, len(p.accounts))
	for _, a := range p.accounts {
		creds := qwen.Credentials{Token: a.umid, Cookies: a.cookies}
		if a.source != CookieID {
			creds.Cookies = "token=x" // signed-in accounts are always logged in
		}
		s := Status{ID: a.id, Source: cmp.Or(a.cookieSource, a.source), Mode: creds.ChatMode(), State: a.st.State, Usable: a.usable(now), FailureClass: a.st.FailureClass,
			SignedIn: a.cookies != "", Calls: a.calls, Failures: map[string]int64{}}
		if s.Usable {
			s.State, s.FailureClass = StateReady, ""
		} else if !a.st.CooldownUntil.IsZero() {
			t := a.st.CooldownUntil
			s.CooldownUntil = &t
		}
		if a.locked != "" {
			s.State, s.Problem = StateLocked, a.locked
		} else if a.signErr != nil {
			s.Problem = a.signErr.Error()
		}
		if !a.expires.IsZero() {
			t := a.expires
			s.TokenExpiresAt = &t
		}
		if !a.lastUsed.IsZero() {
			t := a.lastUsed
			s.LastUsed = &t
		}
		for c, n := range a.failures {
			s.Failures[string(c)] = n
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
