package accounts

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// An account taken out after repeated bare 403s was described as one whose
// password Qwen refused: the log's advice said to check the e-mail and
// password (or store it again), and `accounts test` of it said so too,
// though a 403 says nothing of the password — a ban, or as likely the
// firewall blocking this address. Both now say what the 403s may be and
// that `accounts reset` brings it back.
func TestAnAccountOutAfterBare403sIsNotToldAsARefusedPassword(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	var logged bytes.Buffer
	p := New(Config{Logins: []Login{{"ada@x.io", "pw"}}, Now: clock.now, BriefCooldown: 5 * time.Second, MaxBriefCooldown: time.Minute,
		Log:    slog.New(slog.NewTextHandler(&logged, nil)),
		SignIn: func(context.Context, Login) (SignedIn, error) { return SignedIn{Cookies: "token=x"}, nil }})
	forbidden := &qwen.Error{Kind: qwen.KindAuth, Status: 403, Message: "Forbidden"}
	for range forbiddenStrikes {
		p.Report("ada@x.io", forbidden)
		if st := p.Snapshot()[0]; st.CooldownUntil != nil {
			clock.add(st.CooldownUntil.Sub(clock.now()))
		}
	}
	if st := p.Snapshot()[0]; st.State != StateAuthFailed || st.FailureClass != string(ClassForbidden) {
		t.Fatalf("after %d 403s: %+v", forbiddenStrikes, st)
	}
	toldAsPassword := func(s string) bool {
		return strings.Contains(s, "check its e-mail and password") || strings.Contains(s, "accounts add")
	}
	if log := logged.String(); toldAsPassword(log) || !strings.Contains(log, "accounts reset ada@x.io") || !strings.Contains(log, "firewall") {
		t.Errorf("the log's advice:\n%s", log)
	}

	_, err := p.Credentials(With(context.Background(), "ada@x.io"))
	if qe, ok := qwen.AsError(err); !ok || qe.Kind != qwen.KindAuth {
		t.Fatalf("a call as the account out: %v, want an auth error (another account takes the call)", err)
	}
	for _, source := range []string{qp.AccountStored, qp.AccountEnvironment} {
		d := Diagnose("ada@x.io", source, err)
		if toldAsPassword(d.Advice) || strings.Contains(d.Advice, "tried again") || !strings.Contains(d.Advice, "accounts reset ada@x.io") {
			t.Errorf("%s account's diagnosis: %+v", source, d)
		}
	}
}
