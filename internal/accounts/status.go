package accounts

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"

	"qwenproxy/internal/qwen"
)

// Status is an account's state as shown in health, metrics and `accounts
// ls`: never a secret.
type Status struct {
	ID             string           `json:"id"`
	Source         string           `json:"source"` // stored, environment, or for the cookie account where its cookie comes from
	Mode           string           `json:"mode"`   // normal (logged in) or guest; "" while locked
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
	// Afresh is when the account's credentials were last replaced (a new
	// Cookie header, a new password) or it was reset (`accounts reset`):
	// Qwen's refusals met before concern credentials or a state it no
	// longer has. Zero: not since the process started.
	Afresh time.Time `json:"-"`
	// StateAt is when State was set, by this instance or another sharing
	// its database (AccountState.StateAt): an auth_failed account's
	// refusal, for one that did not meet it itself.
	StateAt time.Time `json:"-"`
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
			SignedIn: a.cookies != "", Calls: a.calls, Failures: map[string]int64{}, Afresh: a.afresh, StateAt: a.st.StateAt}
		if s.Usable {
			s.State, s.FailureClass = StateReady, ""
		} else if !a.st.CooldownUntil.IsZero() {
			t := a.st.CooldownUntil
			s.CooldownUntil = &t
		}
		if a.locked != "" {
			s.State, s.Problem, s.Mode = StateLocked, a.locked, "" // its cookie unread: no mode to tell
		} else if a.refusedHere() && !s.Usable {
			// The shared state may say ready (another instance's password
			// works): this instance's was refused, and it has no token.
			s.State, s.FailureClass, s.Problem = StateAuthFailed, string(ClassAuth), refusedHereMessage
		} else if a.cookieExpired(now) {
			s.State, s.FailureClass = StateAuthFailed, string(ClassAuth)
			s.Problem = "its login token expired at " + a.expires.UTC().Format(time.RFC3339) +
				": copy a fresh Cookie header from a signed-in chat.qwen.ai tab (qwenproxy credentials set, or QWEN_COOKIES)"
		} else if a.signErr != nil {
			s.Problem = a.signErr.Error()
		}
		// An account out because Qwen refused its password uses no token
		// until its credentials change (or a reset): one it still holds — got
		// before a refresh was refused, or before another instance met the
		// refusal — is not shown (it said signed_in, with that token's
		// expiry, beside auth_failed). A 403 ban signed in, and keeps it.
		refused := a.id != CookieID && s.State == StateAuthFailed && s.FailureClass == string(ClassAuth)
		if refused {
			s.SignedIn = false
		}
		// A signed-in account whose token was refused holds none: no expiry
		// to tell. The cookie account's token may be QWEN_TOKEN's alone.
		if !a.expires.IsZero() && (a.cookies != "" && !refused || a.id == CookieID) {
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

// PublicID names account id without its e-mail address, for routes anyone
// who reaches the port may read (/health): "cookie" stays, an e-mail
// becomes "account-" and the first 8 hex digits of its SHA-256, the same on
// every instance and restart. (A digest, so whoever already knows an
// address can still confirm it; it does not reveal one.)
func PublicID(id string) string {
	if id == CookieID {
		return id
	}
	sum := sha256.Sum256([]byte("qwenproxy account " + id))
	return "account-" + hex.EncodeToString(sum[:4])
}

// Public returns s without its e-mail address: the id is PublicID's and
// the address is taken out of the problem text.
func (s Status) Public() Status {
	s.Problem = strings.ReplaceAll(s.Problem, s.ID, PublicID(s.ID))
	s.ID = PublicID(s.ID)
	return s
}

// PublicText replaces the e-mail address of each account of snap in text.
func PublicText(text string, snap []Status) string {
	for _, s := range snap {
		if s.ID != CookieID {
			text = strings.ReplaceAll(text, s.ID, PublicID(s.ID))
		}
	}
	return text
}
