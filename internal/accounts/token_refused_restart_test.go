package accounts_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/store/storetest"
)

// A refusal read back from the database (a restart, or another instance's)
// does not say whether Qwen refused the password or the token a sign-in
// got. The warning said only to check the password and restart: with a
// refused token the password is right, and each restart left the account
// out and said so again. It now says that `accounts reset` is what brings
// an account with a right password back.
func TestARefusalReadBackSaysAResetBringsARightPasswordBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		const id = "ada@x.io"
		start := func(logged *bytes.Buffer) *accounts.Pool {
			t.Helper()
			p := accounts.New(accounts.Config{Store: st, Logins: []accounts.Login{{Email: id, Password: "pw"}},
				Log: slog.New(slog.NewTextHandler(logged, nil)),
				SignIn: func(context.Context, accounts.Login) (accounts.SignedIn, error) {
					return accounts.SignedIn{Cookies: "token=x", Expires: time.Now().Add(time.Hour)}, nil
				}})
			if err := p.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			return p
		}
		var first bytes.Buffer
		p := start(&first)
		if _, err := p.Credentials(accounts.With(ctx, id)); err != nil {
			t.Fatal(err)
		}
		p.Report(id, &qwen.Error{Kind: qwen.KindAuth, Status: 401, Message: "Unauthorized"})
		if err := p.Sync(ctx); err != nil {
			t.Fatal(err)
		}

		var restarted bytes.Buffer
		if s := start(&restarted).Snapshot()[0]; s.State != accounts.StateAuthFailed {
			t.Fatalf("after a restart with the same password: %+v", s)
		}
		out := restarted.String()
		if !strings.Contains(out, "credentials rejected") || !strings.Contains(out, "`qwenproxy accounts reset "+id+"`") ||
			!strings.Contains(out, "a restart with the same password leaves it out") {
			t.Fatalf("the restarted server's log says\n%s", out)
		}
	})
}
