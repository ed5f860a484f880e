package accounts

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
)

// loginCookie is a pasted Cookie header whose login token expires at exp.
func loginCookie(exp time.Time) string {
	payload, _ := json.Marshal(map[string]any{"id": "u", "exp": exp.Unix()})
	return "token=eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(payload) + ".sig"
}

// A pasted cookie whose login token has passed its exp cannot serve a call
// (Qwen answers "Token has expired", and nothing here renews a pasted
// cookie), yet it was usable: /health/ready said ready, with /health
// saying token_expired, until a client's call had failed on it, and a new
// conversation was sent to it before the accounts that work.
func TestAPastedCookieWhoseTokenExpiredIsNotUsable(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	p := New(Config{Cookie: qwen.Credentials{Cookies: loginCookie(clock.now().Add(time.Hour))}, Now: clock.now})
	if err := p.Unavailable(); err != nil {
		t.Fatalf("a cookie of a valid token: %v", err)
	}
	clock.add(time.Hour)
	var u *Unavailable
	if err := p.Unavailable(); !errors.As(err, &u) || u.Reason != ReasonRejected || !u.RejectedCookie {
		t.Fatalf("a cookie whose token expired: %#v", err)
	}
	if _, err := p.Pick(nil); !errors.As(err, &u) || u.Reason != ReasonRejected {
		t.Fatalf("picked a cookie whose token expired: %v", err)
	}
	st := p.Snapshot()[0]
	if st.Usable || st.State != StateAuthFailed || st.Problem == "" {
		t.Fatalf("status of a cookie whose token expired: %+v", st)
	}

	// Beside an account the proxy signs in, which takes the conversations.
	q := New(Config{Cookie: qwen.Credentials{Cookies: loginCookie(clock.now().Add(-time.Minute))}, Now: clock.now,
		Logins: []Login{{"a@x.io", "pw"}}})
	for range 2 {
		if id, err := q.Pick(nil); err != nil || id != "a@x.io" {
			t.Fatalf("picked %q %v, want the account that works", id, err)
		}
		clock.add(time.Second)
	}
}
