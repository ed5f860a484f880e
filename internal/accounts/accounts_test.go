package accounts

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

const testKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestSealerRoundTripBindsTheAccountAndRotates(t *testing.T) {
	old, err := NewSealer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Seal("hunter2", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "hunter2") {
		t.Fatal("sealed value shows the secret")
	}
	if got, err := old.Open(sealed, "a@example.com"); err != nil || got != "hunter2" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := old.Open(sealed, "b@example.com"); err == nil {
		t.Fatal("a value sealed for one account opened for another")
	}
	// Rotation: the new key first, the old one still opens.
	rotated, err := NewSealer("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=," + testKey)
	if err != nil {
		t.Fatal(err)
	}
	resealed, err := rotated.Reseal(sealed, "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(resealed, "a@example.com"); err != nil || got != "hunter2" {
		t.Fatalf("open resealed: %q %v", got, err)
	}
	if _, err := old.Open(resealed, "a@example.com"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the old key alone opened a value resealed under the new one: %v", err)
	}
	for _, bad := range []string{"short", strings.Repeat("zz", 32), "AAEC"} {
		if _, err := NewSealer(bad); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
	if s, err := NewSealer(""); s != nil || err != nil {
		t.Fatalf("no key: %v %v", s, err)
	}
	var none *Sealer
	if _, err := none.Seal("x", "a"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("sealing without a key: %v", err)
	}
	// Opening without a key says what is missing to open it, not that
	// nothing would be stored (the server's lock warning, /health's
	// problem, doctor and `credentials` said "without a key the proxy will
	// not store a Qwen password or token … QWEN_ACCOUNTS works without it").
	id := strings.Split(resealed, ".")[1]
	if _, err := none.Open(resealed, "a@example.com"); err == nil || strings.Contains(err.Error(), "will not store") ||
		!strings.Contains(err.Error(), "sealed with key "+id) || !strings.Contains(err.Error(), "QWENPROXY_SECRET_KEY is not set") {
		t.Fatalf("opening without a key: %v", err)
	}
}

func TestParseListTakesEverythingAfterTheFirstColon(t *testing.T) {
	got, err := ParseList("A@Example.com:pa:ss, b@example.com:x")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (Login{"a@example.com", "pa:ss"}) || got[1] != (Login{"b@example.com", "x"}) {
		t.Fatalf("got %+v", got)
	}
	_, err = ParseList("a@example.com:secret1,nopassword,a@example.com")
	if err == nil || strings.Contains(err.Error(), "secret1") {
		t.Fatalf("bad list: %v", err)
	}
	lines, err := parseLines(strings.NewReader("# comment\n\nc@example.com:with,comma\r\n"), "file")
	if err != nil || len(lines) != 1 || lines[0].Password != "with,comma" {
		t.Fatalf("file: %+v %v", lines, err)
	}
	if _, err := ParseList("a@example.com:x,A@example.com:y"); err == nil {
		t.Fatal("an account listed twice was accepted")
	}
}

// QWEN_ACCOUNTS of commas and blanks alone started the server with no
// account and a warning, where an empty QWEN_ACCOUNTS_FILE is refused; it
// is refused too. An empty value is no account, as an unset one.
func TestAQwenAccountsListWithNoAccountIsRefused(t *testing.T) {
	for _, v := range []string{",", " , ,", " "} {
		if got, err := ParseList(v); (v == " ") != (err == nil) || len(got) != 0 {
			t.Errorf("%q: %+v %v", v, got, err)
		} else if err != nil && !strings.Contains(err.Error(), "holds no account") {
			t.Errorf("%q: %v", v, err)
		}
	}
}

// A QWEN_ACCOUNTS_FILE with no account in it (empty, or comments alone) is
// refused, saying so: the server started without an account and without a
// word of the file.
func TestAnAccountsFileWithNoAccountIsRefused(t *testing.T) {
	for _, content := range []string{"", "# accounts\n\n"} {
		path := filepath.Join(t.TempDir(), "accounts")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := ParseFile(path); err == nil || !strings.Contains(err.Error(), path+": holds no account") {
			t.Errorf("%q: %+v %v", content, got, err)
		}
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestPool(clock *fakeClock, logins ...Login) *Pool {
	return New(Config{Logins: logins, Now: clock.now, BriefCooldown: 5 * time.Second, SignIn: func(context.Context, Login) (SignedIn, error) {
		return SignedIn{Cookies: "token=x", Expires: clock.now().Add(time.Hour)}, nil
	}})
}

func TestPickRotatesLeastRecentlyUsedAndSkipsCooldowns(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	p := newTestPool(clock, Login{"a@x.io", "1"}, Login{"b@x.io", "2"}, Login{"c@x.io", "3"})
	var order []string
	for range 3 {
		id, err := p.Pick(nil)
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, id)
		clock.add(time.Second)
	}
	if strings.Join(order, ",") != "a@x.io,b@x.io,c@x.io" {
		t.Fatalf("order %v", order)
	}
	p.Report("a@x.io", &qwen.Error{Kind: qwen.KindRateLimited, Code: "RateLimited", RetryAfter: 2 * time.Hour})
	p.Report("b@x.io", &qwen.Error{Kind: qwen.KindServer, Status: 500})
	if id, _ := p.Pick(nil); id != "c@x.io" {
		t.Fatalf("picked %s past cooldowns", id)
	}
	clock.add(10 * time.Second) // past b's brief cooldown, not a's quota
	if id, _ := p.Pick(map[string]bool{"c@x.io": true}); id != "b@x.io" {
		t.Fatalf("picked %s after b's brief cooldown", id)
	}
	p.Report("b@x.io", &qwen.Error{Kind: qwen.KindAuth, Status: 401})
	p.Report("c@x.io", &qwen.Error{Kind: qwen.KindRateLimited, Code: "RateLimited"})
	_, err := p.Pick(nil)
	var u *Unavailable
	if !errors.As(err, &u) || u.Reason != ReasonRateLimited || u.RetryAfter <= 0 || u.RetryAfter > 2*time.Hour {
		t.Fatalf("all out: %#v", err)
	}
	clock.add(2 * time.Hour)
	if id, _ := p.Pick(nil); id != "a@x.io" {
		t.Fatalf("a's quota should have ended, picked %q", id)
	}
	if p.Unavailable() != nil {
		t.Fatal("not ready with a usable account")
	}
}

// The state log names the cooldown's end while there is one, and no
// zero time once the account is ready again.
func TestRateLimitWithoutHoursUsesTheConfiguredCooldown(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	var logged bytes.Buffer
	p := New(Config{Logins: []Login{{"a@x.io", "1"}}, Now: clock.now, RateLimitCooldown: 90 * time.Minute,
		Log: slog.New(slog.NewTextHandler(&logged, nil))})
	p.Report("a@x.io", &qwen.Error{Kind: qwen.KindRateLimited, Code: "RateLimited"})
	st := p.Snapshot()[0]
	if st.State != StateRateLimited || st.CooldownUntil == nil || !st.CooldownUntil.Equal(clock.now().Add(90*time.Minute)) {
		t.Fatalf("status %+v", st)
	}
	clock.add(91 * time.Minute)
	p.Report("a@x.io", nil) // a call the account served
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "state=rate_limited") || !strings.Contains(lines[0], "cooldown_until=2027") ||
		!strings.Contains(lines[1], "state=ready") || strings.Contains(lines[1], "cooldown_until") {
		t.Errorf("log:\n%s", logged.String())
	}
}

func TestSignInAgainstTheSimulator(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.AddAccount("a@x.io", "right")
	s := &Signer{BaseURL: sim.URL}
	got, err := s.SignIn(context.Background(), Login{"a@x.io", "right"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Cookies, "token=") || got.Expires.Before(time.Now()) {
		t.Fatalf("signed in: expires %v, cookie starts %q", got.Expires, got.Cookies[:6])
	}
	_, err = s.SignIn(context.Background(), Login{"a@x.io", "wrong"})
	var se *SignInError
	if !errors.As(err, &se) || se.Class != ClassAuth || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: %v", err)
	}
	sim.FailSignIns("a@x.io", 1)
	if _, err = s.SignIn(context.Background(), Login{"a@x.io", "right"}); !errors.As(err, &se) || se.Class != ClassFirewall {
		t.Fatalf("captcha: %v", err)
	}
}

func TestWrongPasswordTakesTheAccountOutWithoutRetrying(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	signIns := 0
	p := New(Config{Logins: []Login{{"a@x.io", "bad"}}, Now: clock.now, SignIn: func(context.Context, Login) (SignedIn, error) {
		signIns++
		return SignedIn{}, &SignInError{Class: ClassAuth, Status: 401, Message: "refused"}
	}})
	ctx := With(context.Background(), "a@x.io")
	for range 3 {
		if _, err := p.Credentials(ctx); err == nil {
			t.Fatal("credentials of a refused account")
		}
		clock.add(time.Hour)
	}
	if signIns != 1 {
		t.Fatalf("%d sign-ins of a refused password", signIns)
	}
	var u *Unavailable
	if _, err := p.Pick(nil); !errors.As(err, &u) || u.Reason != ReasonRejected {
		t.Fatalf("pick: %v", err)
	}
}

func TestTokenIsRefreshedWellBeforeItExpires(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	signIns := 0
	p := New(Config{Logins: []Login{{"a@x.io", "1"}}, Now: clock.now, SignIn: func(context.Context, Login) (SignedIn, error) {
		signIns++
		return SignedIn{Cookies: "token=t" + string(rune('0'+signIns)), Expires: clock.now().Add(8 * time.Hour)}, nil
	}})
	ctx := With(context.Background(), "a@x.io")
	c, err := p.Credentials(ctx)
	if err != nil || c.Cookies != "token=t1" {
		t.Fatalf("%+v %v", c, err)
	}
	clock.add(5*time.Hour + 59*time.Minute) // 2 h 1 min left: more than a quarter of 8 h
	if c, _ := p.Credentials(ctx); c.Cookies != "token=t1" || signIns != 1 {
		t.Fatalf("refreshed too early: %q after %d sign-ins", c.Cookies, signIns)
	}
	clock.add(2 * time.Minute) // 1 h 59 min left: due
	if c, _ := p.Credentials(ctx); c.Cookies != "token=t2" || signIns != 2 {
		t.Fatalf("not refreshed ahead of expiry: %q after %d sign-ins", c.Cookies, signIns)
	}
}

func TestCaptchaAtSignInCoolsTheAccountDown(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	fail := true
	p := New(Config{Logins: []Login{{"a@x.io", "1"}}, Now: clock.now, BriefCooldown: 10 * time.Second, SignIn: func(context.Context, Login) (SignedIn, error) {
		if fail {
			return SignedIn{}, &SignInError{Class: ClassFirewall, Message: "captcha"}
		}
		return SignedIn{Cookies: "token=x"}, nil
	}})
	ctx := With(context.Background(), "a@x.io")
	if _, err := p.Credentials(ctx); ClassOf(err) != ClassFirewall {
		t.Fatalf("first sign-in: %v", err)
	}
	st := p.Snapshot()[0]
	if st.State != StateCoolingDown || st.FailureClass != string(ClassFirewall) || !strings.Contains(st.Problem, "captcha") {
		t.Fatalf("status %+v", st)
	}
	fail = false
	clock.add(11 * time.Second)
	if c, err := p.Credentials(ctx); err != nil || c.Cookies != "token=x" {
		t.Fatalf("after the cooldown: %+v %v", c, err)
	}
}

// downStore is a database that is down: every call fails, after holding
// until its context ends (as a hung connection would). It counts calls.
type downStore struct {
	mu    sync.Mutex
	calls int
}

func (d *downStore) fail(ctx context.Context) error {
	d.mu.Lock()
	d.calls++
	d.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}
func (d *downStore) count() int { d.mu.Lock(); defer d.mu.Unlock(); return d.calls }
func (d *downStore) Accounts(ctx context.Context, _ string) ([]qp.AccountRecord, error) {
	return nil, d.fail(ctx)
}
func (d *downStore) PutAccount(ctx context.Context, _ qp.AccountRecord) error { return d.fail(ctx) }
func (d *downStore) EnsureAccount(ctx context.Context, _, _ string, _ time.Time) error {
	return d.fail(ctx)
}
func (d *downStore) DeleteAccount(ctx context.Context, _ string, _ time.Time) error {
	return d.fail(ctx)
}
func (d *downStore) SaveAccountState(ctx context.Context, _, _ string, _ qp.AccountState) error {
	return d.fail(ctx)
}
func (d *downStore) AddAccountCounts(ctx context.Context, _ string, _ int64, _ map[string]int64) error {
	return d.fail(ctx)
}
func (d *downStore) ClaimSignIn(ctx context.Context, _, _ string, _, _, _ time.Time) (bool, error) {
	return false, d.fail(ctx)
}
func (d *downStore) SaveAccountToken(ctx context.Context, _, _, _ string, _ time.Time) error {
	return d.fail(ctx)
}
func (d *downStore) ResealAccounts(ctx context.Context, _ func(string, string) (string, error)) (int, error) {
	return 0, d.fail(ctx)
}

// TestCallsNeverWaitOnADownDatabase: with the database down (hanging), a
// sign-in is delayed by the store's short timeouts only, and afterwards
// calls, health and reports never touch the database.
func TestCallsNeverWaitOnADownDatabase(t *testing.T) {
	store := &downStore{}
	sealer, _ := NewSealer(testKey)
	p := New(Config{Store: store, Sealer: sealer, Logins: []Login{{"a@x.io", "1"}}, SignIn: func(context.Context, Login) (SignedIn, error) {
		return SignedIn{Cookies: "token=x", Expires: time.Now().Add(time.Hour)}, nil
	}})
	ctx := With(context.Background(), "a@x.io")
	if c, err := p.Credentials(ctx); err != nil || c.Cookies != "token=x" {
		t.Fatalf("sign-in with the database down: %+v %v", c, err)
	}
	before := store.count()
	for range 100 {
		id, err := p.Pick(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Credentials(With(context.Background(), id)); err != nil {
			t.Fatal(err)
		}
		p.Report(id, nil)
		p.Snapshot()
		if p.Unavailable() != nil {
			t.Fatal("not ready")
		}
	}
	if n := store.count() - before; n != 0 {
		t.Fatalf("%d database calls on the calls' path", n)
	}
}

// A token that is due for refresh the moment it arrives (Qwen's clock
// ahead, a tiny lifetime) is used, not signed in for again and again.
func TestATokenDueAtOnceIsUsedNotLoopedOn(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	signIns := 0
	p := New(Config{Logins: []Login{{"a@x.io", "1"}}, Now: clock.now, SignIn: func(context.Context, Login) (SignedIn, error) {
		signIns++
		return SignedIn{Cookies: "token=x", Expires: clock.now().Add(-time.Minute)}, nil
	}})
	if c, err := p.Credentials(With(context.Background(), "a@x.io")); err != nil || c.Cookies != "token=x" || signIns != 1 {
		t.Fatalf("%+v %v after %d sign-ins", c, err, signIns)
	}
}

func TestAFailedRefreshKeepsTheWorkingToken(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	var fail bool
	signIns := 0
	p := New(Config{Logins: []Login{{"a@x.io", "1"}}, Now: clock.now, BriefCooldown: time.Second, SignIn: func(context.Context, Login) (SignedIn, error) {
		signIns++
		if fail {
			return SignedIn{}, &SignInError{Class: ClassNetwork, Message: "unreachable"}
		}
		return SignedIn{Cookies: "token=t" + string(rune('0'+signIns)), Expires: clock.now().Add(4 * time.Hour)}, nil
	}})
	ctx := With(context.Background(), "a@x.io")
	if c, _ := p.Credentials(ctx); c.Cookies != "token=t1" {
		t.Fatalf("first: %q", c.Cookies)
	}
	fail = true
	clock.add(3*time.Hour + time.Minute) // due, not expired
	for range 3 {
		if c, err := p.Credentials(ctx); err != nil || c.Cookies != "token=t1" {
			t.Fatalf("during failing refreshes: %q %v", c.Cookies, err)
		}
	}
	if signIns != 2 || !p.Usable("a@x.io") {
		t.Fatalf("%d sign-ins (want one failed refresh, then a pause); usable %v", signIns, p.Usable("a@x.io"))
	}
	fail = false
	clock.add(2 * time.Minute)
	if c, _ := p.Credentials(ctx); c.Cookies != "token=t3" {
		t.Fatalf("after the pause: %q", c.Cookies)
	}
}

// A password containing a comma splits QWEN_ACCOUNTS into pieces that are
// not accounts: the errors say where and why, and quote none of them.
func TestParseListNeverQuotesAPieceOfAPassword(t *testing.T) {
	for _, v := range []string{"erin@example.com:Hunter2,SecretTail", "erin@example.com:Hunter2,Secret:Tail", "erin@example.com:Hunter2, Secret@Tail"} {
		_, err := ParseList(v)
		if err == nil {
			t.Fatalf("%q accepted", v)
		}
		msg := err.Error()
		for _, secret := range []string{"hunter2", "secret", "tail"} {
			if strings.Contains(strings.ToLower(msg), secret) {
				t.Errorf("the error for %q shows %q: %s", v, secret, msg)
			}
		}
		if !strings.Contains(msg, "entry 2") || !strings.Contains(msg, "comma") || !strings.Contains(msg, "QWEN_ACCOUNTS_FILE") {
			t.Errorf("the error for %q does not say which entry and why: %s", v, msg)
		}
	}
	if _, err := ParseList("erin@example.com:"); err == nil || !strings.Contains(err.Error(), "erin@example.com has no password") {
		t.Errorf("an e-mail without a password: %v", err)
	}
}

// Qwen's "please slow down" (a Too_Many_Requests error, qwen-wire.md §5) is
// throttling, as an HTTP 429 is: a brief rest, not the daily quota's hours.
// It benched the account for QWEN_RATE_LIMIT_COOLDOWN (6 hours by default).
func TestSlowDownIsABriefRestNotTheDailyQuota(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	p := New(Config{Logins: []Login{{"a@x.io", "1"}}, Now: clock.now, RateLimitCooldown: 6 * time.Hour, BriefCooldown: 5 * time.Second})
	p.Report("a@x.io", &qwen.Error{Kind: qwen.KindRateLimited, Code: "Too_Many_Requests", Message: "please slow down"})
	st := p.Snapshot()[0]
	if st.State != StateRateLimited || st.CooldownUntil == nil || !st.CooldownUntil.Equal(clock.now().Add(5*time.Second)) {
		t.Fatalf("status %+v, want a rest of 5s", st)
	}
}
