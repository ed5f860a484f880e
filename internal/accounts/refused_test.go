package accounts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// simPool is a pool of one account of a started simulator, signed in by the
// real Signer, and a client that speaks as the pool's accounts.
func simPool(t *testing.T, cfg Config) (*qwensim.Server, *Pool, *qwen.Client) {
	t.Helper()
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	for _, l := range cfg.Logins {
		sim.AddAccount(l.Email, l.Password)
	}
	cfg.SignIn = (&Signer{BaseURL: sim.URL}).SignIn
	p := New(cfg)
	return sim, p, qwen.New(qwen.Config{BaseURL: sim.URL, Credentials: p})
}

// TestAFirewallAtReSignInIsNotARefusedPassword: Qwen refuses an expired
// token, the sign-in that is to replace it meets a firewall page, and the
// call is reported as the server reports it (the original 401, or the
// sign-in's failure): the account cools down for the firewall, and is not
// taken out as if its password had been refused.
func TestAFirewallAtReSignInIsNotARefusedPassword(t *testing.T) {
	const email = "a@x.io"
	sim, p, client := simPool(t, Config{Logins: []Login{{email, "right"}}, BriefCooldown: time.Minute})
	ctx := With(context.Background(), email)
	before, err := p.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sim.FailSignIns(email, 1)
	sim.ExpireTokens(email)
	// As the server's newChatOn: the call, Qwen's 401, one fresh sign-in.
	_, _, callErr := client.NewChat(ctx, "qwen3-max")
	if ClassOf(callErr) != ClassAuth {
		t.Fatalf("the call on the expired token: %v", callErr)
	}
	ok, refreshErr := p.Refresh(ctx, email, before.Cookies, callErr)
	if !ok || ClassOf(refreshErr) != ClassFirewall {
		t.Fatalf("refresh: %v %v", ok, refreshErr)
	}
	for _, reported := range []error{callErr, refreshErr} {
		p.Report(email, reported)
		st := p.Snapshot()[0]
		if st.State != StateCoolingDown || st.FailureClass != string(ClassFirewall) || st.CooldownUntil == nil ||
			st.CooldownUntil.After(time.Now().Add(time.Minute)) {
			t.Fatalf("after reporting %v: %+v", reported, st)
		}
	}
	if st := p.Snapshot()[0]; st.Failures[string(ClassFirewall)] != 1 {
		t.Fatalf("failures %v: the sign-in's firewall page is counted once", st.Failures)
	}
}

// The warning for a refused account says where its password is changed:
// QWEN_ACCOUNTS for an account that comes from there (`accounts add` is
// refused for it), `accounts add` for a stored one.
func TestRefusalAdviceNamesWhereThePasswordComesFrom(t *testing.T) {
	var logged bytes.Buffer
	_, p, _ := simPool(t, Config{Logins: []Login{{"env@x.io", "right"}}, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	p.cfg.SignIn = func(context.Context, Login) (SignedIn, error) {
		return SignedIn{}, &SignInError{Class: ClassAuth, Status: 401, Message: "refused"}
	}
	if _, err := p.Credentials(With(context.Background(), "env@x.io")); ClassOf(err) != ClassAuth {
		t.Fatalf("sign-in: %v", err)
	}
	if out := logged.String(); !strings.Contains(out, "credentials rejected") || !strings.Contains(out, "QWEN_ACCOUNTS") || strings.Contains(out, "accounts add") {
		t.Fatalf("advice for an environment account: %s", out)
	}
	if got := RejectedAdvice("s@x.io", qp.AccountStored); !strings.Contains(got, "accounts add --email s@x.io") {
		t.Fatalf("advice for a stored account: %s", got)
	}
}

// A sign-in or a call answered with a Retry-After years ahead rests the
// account a day at most (qwen.MaxRateLimitRest), not until then.
func TestAFarRetryAfterRestsTheAccountADayAtMost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "Wed, 21 Oct 2037 07:28:00 GMT")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	p := New(Config{Logins: []Login{{"a@x.io", "1"}, {"b@x.io", "2"}}, SignIn: (&Signer{BaseURL: srv.URL}).SignIn})
	if _, err := p.Credentials(With(context.Background(), "a@x.io")); ClassOf(err) != ClassRateLimited {
		t.Fatalf("sign-in: %v", err)
	}
	p.Report("b@x.io", &qwen.Error{Kind: qwen.KindRateLimited, Status: 429, RetryAfter: 100_000 * time.Hour})
	for _, st := range p.Snapshot() {
		if st.State != StateRateLimited || st.CooldownUntil == nil || st.CooldownUntil.After(time.Now().Add(qwen.MaxRateLimitRest)) {
			t.Fatalf("%s: %+v", st.ID, st)
		}
	}
}

// A successful sign-in ends a run of failures: the next failure's cooldown
// starts again from the first (QWEN_FAILURE_COOLDOWN), not doubled on.
func TestASuccessfulSignInEndsTheRunOfFailures(t *testing.T) {
	const email = "a@x.io"
	clock := &fakeClock{t: time.Now()}
	sim, p, _ := simPool(t, Config{Logins: []Login{{email, "right"}}, BriefCooldown: 5 * time.Second, Now: clock.now})
	ctx := With(context.Background(), email)
	sim.FailSignIns(email, 2)
	for _, wait := range []time.Duration{5 * time.Second, 10 * time.Second} {
		if _, err := p.Credentials(ctx); ClassOf(err) != ClassFirewall {
			t.Fatalf("sign-in behind the firewall: %v", err)
		}
		if st := p.Snapshot()[0]; st.CooldownUntil == nil || !st.CooldownUntil.Equal(clock.now().Add(wait)) {
			t.Fatalf("cooldown %v, want %v: %+v", st.CooldownUntil, wait, st)
		}
		clock.add(wait)
	}
	if _, err := p.Credentials(ctx); err != nil {
		t.Fatalf("sign-in after the cooldown: %v", err)
	}
	if st := p.Snapshot()[0]; st.State != StateReady || st.FailureClass != "" {
		t.Fatalf("after a successful sign-in: %+v", st)
	}
	p.Report(email, &qwen.Error{Kind: qwen.KindFirewall, Message: "captcha"})
	if st := p.Snapshot()[0]; st.CooldownUntil == nil || !st.CooldownUntil.Equal(clock.now().Add(5*time.Second)) {
		t.Fatalf("the first firewall page after a successful sign-in: cooldown until %v, want 5 s from now", st.CooldownUntil)
	}
}

// A successful sign-in is not taken for a firewall page because the
// account's name speaks of a captcha; a refusal bearing a marker still is.
func TestASignInAnswerIsScannedForTheFirewallOnlyWhenItFails(t *testing.T) {
	jwt := strings.TrimPrefix(qwensim.LoginCookie(), "token=")
	answers := map[string]func(http.ResponseWriter){
		"ok": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"u1","email":"ok@x.io","name":"captcha baxia punish","role":"user","token":"`+jwt+`","token_type":"Bearer"}`)
		},
		"refused": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"detail":"FAIL_SYS_USER_VALIDATE: pass the captcha"}`)
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var l struct{ Email string }
		_ = json.NewDecoder(r.Body).Decode(&l)
		answers[strings.TrimSuffix(l.Email, "@x.io")](w)
	}))
	defer srv.Close()
	s := &Signer{BaseURL: srv.URL}
	if got, err := s.SignIn(context.Background(), Login{"ok@x.io", "pw"}); err != nil || got.Cookies != "token="+jwt {
		t.Fatalf("a successful sign-in: %v", err)
	}
	if _, err := s.SignIn(context.Background(), Login{"refused@x.io", "pw"}); ClassOf(err) != ClassFirewall {
		t.Fatalf("a refusal by the firewall: %v", err)
	}
}

// Only an answer that says the e-mail or password is wrong takes an
// account out for good; any other refusal of the sign-in — Qwen's
// Bad_Request "Internal error" to an outdated web client, an unexpected
// 4xx — cools it down, and it signs in again after.
func TestOnlyAWrongPasswordTakesTheAccountOut(t *testing.T) {
	type answer struct {
		status int
		body   string
	}
	outdated := `{"success":false,"request_id":"r","data":{"code":"Bad_Request","details":"Internal error..."}}`
	cases := []struct {
		answer answer
		class  Class
	}{
		{answer{http.StatusBadRequest, outdated}, ClassServer},
		{answer{http.StatusOK, outdated}, ClassServer},
		{answer{http.StatusNotFound, `{"detail":"Not Found"}`}, ClassServer},
		{answer{http.StatusUnprocessableEntity, `{"detail":[{"loc":["body","email"],"msg":"field required"}]}`}, ClassServer},
		{answer{http.StatusOK, `{"success":false,"data":{"code":"Internal_Server_Error","details":"busy"}}`}, ClassServer},
		{answer{http.StatusUnauthorized, `{"detail":"The email or password provided is incorrect. Please check for typos and try logging in again."}`}, ClassAuth},
		{answer{http.StatusBadRequest, `{"detail":"The email or password provided is incorrect. Please check for typos and try logging in again."}`}, ClassAuth},
		{answer{http.StatusOK, `{"success":false,"data":{"code":"Unauthorized","details":"Unauthorized"}}`}, ClassAuth},
	}
	var current atomic.Pointer[answer]
	jwt := strings.TrimPrefix(qwensim.LoginCookie(), "token=")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		a := current.Load()
		if a == nil {
			io.WriteString(w, `{"id":"u1","token":"`+jwt+`"}`)
			return
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	defer srv.Close()
	for _, tc := range cases {
		clock := &fakeClock{t: time.Now()}
		p := New(Config{Logins: []Login{{"a@x.io", "pw"}}, SignIn: (&Signer{BaseURL: srv.URL}).SignIn, BriefCooldown: time.Minute, Now: clock.now})
		ctx := With(context.Background(), "a@x.io")
		current.Store(&tc.answer)
		if _, err := p.Credentials(ctx); ClassOf(err) != tc.class {
			t.Fatalf("%d %s: %v, want class %s", tc.answer.status, tc.answer.body, err, tc.class)
		}
		st := p.Snapshot()[0]
		current.Store(nil)
		clock.add(time.Minute)
		_, err := p.Credentials(ctx)
		switch tc.class {
		case ClassAuth:
			if st.State != StateAuthFailed || err == nil {
				t.Fatalf("%d %s: %+v, then %v", tc.answer.status, tc.answer.body, st, err)
			}
		default:
			if st.State != StateCoolingDown || err != nil {
				t.Fatalf("%d %s: %+v, then after the cooldown %v", tc.answer.status, tc.answer.body, st, err)
			}
		}
	}
	current.Store(&answer{http.StatusBadRequest, outdated})
	_, err := (&Signer{BaseURL: srv.URL}).SignIn(context.Background(), Login{"a@x.io", "pw"})
	if d := Diagnose("a@x.io", "environment", err.(*SignInError).Upstream()); d.Name != qwen.DiagnosisOutdatedClient.Name {
		t.Fatalf("diagnosis of an outdated client's sign-in: %+v", d)
	}
}

// The sign-in carries the web client's headers, as every other call does
// (qwen-2026.md §1.1): the simulator checks those its other endpoints
// check, and the sign-in page's Referer, the Origin, the timezone and the
// client hints of the Chrome it claims to be arrive.
func TestSignInSendsTheWebClientsHeaders(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.AddAccount("a@x.io", "right")
	if _, err := (&Signer{BaseURL: sim.URL + "/"}).SignIn(context.Background(), Login{"a@x.io", "right"}); err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	var h http.Header
	for _, c := range sim.Calls() {
		if c.Endpoint == qwensim.EndpointSignIn {
			h = c.Header
		}
	}
	want := qwen.WebHeaders(sim.URL)
	for _, k := range []string{"User-Agent", "Accept", "Accept-Language", "Source", "Version", "Origin", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform", "Sec-Fetch-Mode"} {
		if h.Get(k) == "" || h.Get(k) != want.Get(k) {
			t.Errorf("%s: %q, want %q", k, h.Get(k), want.Get(k))
		}
	}
	if h.Get("Referer") != sim.URL+"/auth" || h.Get("Timezone") == "" || h.Get("X-Request-Id") == "" || h.Get("Content-Type") != "application/json" {
		t.Errorf("referer %q, timezone %q, x-request-id %q, content-type %q", h.Get("Referer"), h.Get("Timezone"), h.Get("X-Request-Id"), h.Get("Content-Type"))
	}
	// A User-Agent of its own goes without Chrome's hints, which it would contradict.
	if _, err := (&Signer{BaseURL: sim.URL, UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", WebVersion: "0.4.0"}).SignIn(context.Background(), Login{"a@x.io", "right"}); err != nil {
		t.Fatalf("sign-in as Firefox: %v", err)
	}
	calls := sim.Calls()
	if h := calls[len(calls)-1].Header; h.Get("Sec-Ch-Ua") != "" || h.Get("Version") != "0.4.0" {
		t.Errorf("as Firefox: hints %q, version %q", h.Get("Sec-Ch-Ua"), h.Get("Version"))
	}
}

// A refused password's fingerprint, which the database keeps beside the
// auth_failed state, tells new credentials from the refused ones and is
// too short to test guesses of the password against offline (it was 96
// bits of PBKDF2 at 4,096 rounds: a weak password fell to a dictionary).
func TestARefusedPasswordsFingerprintIsTooShortToCrack(t *testing.T) {
	fp := fingerprint("ada@example.com", "hunter2")
	if len(fp) != 2*fingerprintBytes || fingerprintBytes > 2 {
		t.Fatalf("fingerprint %q: want 16 bits", fp)
	}
	if fingerprint("ada@example.com", "hunter2") != fp {
		t.Fatal("the same credentials give another fingerprint")
	}
	// New credentials are told apart, bar 1 in 65,536.
	differ := 0
	for i := range 200 {
		if fingerprint("ada@example.com", fmt.Sprint("hunter", i+3)) != fp {
			differ++
		}
	}
	if differ < 199 {
		t.Errorf("only %d of 200 other passwords have another fingerprint", differ)
	}
	if fingerprint("bob@example.com", "hunter2") == fp && fingerprint("eve@example.com", "hunter2") == fp {
		t.Error("the account id does not salt the fingerprint")
	}
	if fingerprint("ada@example.com", "") != "" {
		t.Error("no secret has a fingerprint")
	}
}
