package accounts

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
)

// One HTTP 403 took a pasted-cookie account out until its cookie changed
// (auth_failed; a restart of every server to bring it back), though a 403
// alone is as likely the firewall's block of this address, or a passing
// refusal, as a ban (qwen-2026.md §1.3, §5: the WAF is per-IP and moves;
// only one peer reads 403 as "banned"). A bare 403 now rests the account,
// doubling like the firewall's pages, and the next call after the rest is
// its probe; only forbiddenStrikes of them in a row, with no success
// between, take it out. An explicit refusal of the credentials (a 401,
// "Unauthorized", "Invalid token") still takes it out at once.
func TestABare403RestsTheAccountAndOnlyRepeatedOnesRejectIt(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	p := New(Config{Cookie: qwen.Credentials{Cookies: "token=x"}, Now: clock.now, BriefCooldown: 5 * time.Second, MaxBriefCooldown: time.Minute})
	forbidden := &qwen.Error{Kind: qwen.KindAuth, Status: 403, Message: "Forbidden"}
	state := func() Status { return p.Snapshot()[0] }

	p.Report(CookieID, forbidden)
	st := state()
	if st.State != StateCoolingDown || st.FailureClass != string(ClassForbidden) || st.CooldownUntil == nil ||
		!st.CooldownUntil.Equal(clock.now().Add(5*time.Second)) || st.Failures[string(ClassForbidden)] != 1 {
		t.Fatalf("after one 403: %+v", st)
	}
	// A call under way when the account was set to rest meets the same
	// 403: the same evidence, no second strike.
	p.Report(CookieID, forbidden)
	if again := state(); !again.CooldownUntil.Equal(*st.CooldownUntil) || again.Failures[string(ClassForbidden)] != 2 {
		t.Fatalf("a second 403 during the rest: %+v", again)
	}
	clock.add(5 * time.Second)
	if !p.Usable(CookieID) {
		t.Fatal("not usable again once its rest is over: nothing probes it")
	}
	p.Report(CookieID, nil) // the probe went through: the run is over
	if st := state(); st.State != StateReady {
		t.Fatalf("after a success: %+v", st)
	}

	for i := 1; i <= forbiddenStrikes; i++ {
		p.Report(CookieID, forbidden)
		st := state()
		if i < forbiddenStrikes {
			want := clock.now().Add(5 * time.Second << (i - 1))
			if st.State != StateCoolingDown || st.CooldownUntil == nil || !st.CooldownUntil.Equal(want) {
				t.Fatalf("after %d 403s in a row: %+v, want a rest until %v", i, st, want)
			}
			clock.add(st.CooldownUntil.Sub(clock.now()))
			continue
		}
		if st.State != StateAuthFailed || st.FailureClass != string(ClassForbidden) || st.Usable {
			t.Fatalf("after %d 403s in a row: %+v, want rejected", i, st)
		}
	}

	q := New(Config{Cookie: qwen.Credentials{Cookies: "token=x"}, Now: clock.now, BriefCooldown: 5 * time.Second})
	q.Report(CookieID, &qwen.Error{Kind: qwen.KindAuth, Status: 401, Message: "Unauthorized"})
	if st := q.Snapshot()[0]; st.State != StateAuthFailed || st.FailureClass != string(ClassAuth) {
		t.Fatalf("after a 401: %+v", st)
	}
	r := New(Config{Cookie: qwen.Credentials{Cookies: "token=x"}, Now: clock.now, BriefCooldown: 5 * time.Second})
	r.Report(CookieID, &qwen.Error{Kind: qwen.KindAuth, Status: 403, Code: "Unauthorized", Message: "Invalid token"})
	if st := r.Snapshot()[0]; st.State != StateAuthFailed {
		t.Fatalf("after a 403 saying the token is invalid: %+v", st)
	}
}

// The advice for a bare 403 (the log's, doctor's, `accounts test`'s) said
// the credentials were refused; it says what a 403 may be, and for a
// signed-in account names no Cookie header (none is used).
func TestABare403sAdviceSaysWhatItMayBe(t *testing.T) {
	forbidden := &qwen.Error{Kind: qwen.KindAuth, Status: 403, Message: "Forbidden"}
	for _, id := range []string{CookieID, "a@x.io"} {
		d := Diagnose(id, "environment", forbidden)
		if !strings.Contains(d.Advice, "403") || !strings.Contains(d.Advice, "firewall") || (id != CookieID && strings.Contains(d.Advice, "Cookie header")) {
			t.Errorf("%s: %+v", id, d)
		}
	}
}

// A sign-in answered with a bare HTTP 403 took the account out as a wrong
// password does (auth_failed, shared with every instance, until the
// password changed), though the firewall refuses sign-ins from an address
// it blocks too (qwen-2026.md §5: "fail on chats/new, models and login").
// It rests the account as a call's bare 403 does; a 403 or 401 saying the
// password is wrong still takes it out.
func TestASignInsBare403RestsTheAccount(t *testing.T) {
	for _, tc := range []struct {
		status     int
		body, want string
	}{
		{403, `{"detail":"Forbidden"}`, StateCoolingDown},
		{403, ``, StateCoolingDown},
		{403, `{"detail":"The email or password provided is incorrect."}`, StateAuthFailed},
		{401, `{"detail":"Forbidden"}`, StateAuthFailed},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(tc.status)
			w.Write([]byte(tc.body))
		}))
		p := New(Config{Logins: []Login{{"a@x.io", "1"}}, BriefCooldown: time.Minute, SignIn: (&Signer{BaseURL: srv.URL}).SignIn})
		_, err := p.Credentials(With(context.Background(), "a@x.io"))
		srv.Close()
		if st := p.Snapshot()[0]; err == nil || st.State != tc.want || (tc.want == StateCoolingDown && (st.FailureClass != string(ClassForbidden) || st.CooldownUntil == nil)) {
			t.Errorf("sign-in answered %d %s: %+v (%v), want %s", tc.status, tc.body, st, err, tc.want)
		}
	}
}
