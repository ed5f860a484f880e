package accounts

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
)

// The pool's masker holds every account's secrets (the pasted cookie's
// token and cookies, each signed-in account's token, password and the
// password's digest), is kept while they stay, and is built again when an
// account signs in anew.
func TestKnownMasksEveryAccountsSecretsAndFollowsASignIn(t *testing.T) {
	tokens := 0
	p := New(Config{
		Logins: []Login{{Email: "a@x.io", Password: "a-password-1"}},
		Cookie: qwen.Credentials{Cookies: "token=eyJpasted.jwt.sig; ssxmod_itna=itna-cookie-value"},
		SignIn: func(context.Context, Login) (SignedIn, error) {
			tokens++
			return SignedIn{Cookies: fmt.Sprintf("token=eyJsigned.in-%d.sig", tokens), Expires: time.Now().Add(time.Hour)}, nil
		},
	})
	text := "eyJpasted.jwt.sig itna-cookie-value a-password-1 " + HashPassword("a-password-1") + " eyJsigned.in-1.sig"
	if out := p.Known().String(text); strings.Trim(strings.ReplaceAll(out, "[REDACTED]", ""), " ") != "eyJsigned.in-1.sig" {
		t.Errorf("before a's sign-in: %q", out)
	}
	if _, err := p.Credentials(With(context.Background(), "a@x.io")); err != nil {
		t.Fatal(err)
	}
	k := p.Known()
	if out := k.String(text); strings.Trim(strings.ReplaceAll(out, "[REDACTED]", ""), " ") != "" {
		t.Errorf("after a's sign-in: %q", out)
	}
	if p.Known() != k {
		t.Error("the masker was built again for credentials that did not change")
	}
	if _, err := p.SignInAgain(context.Background(), "a@x.io"); err != nil {
		t.Fatal(err)
	}
	if out := p.Known().String("eyJsigned.in-2.sig"); out != "[REDACTED]" {
		t.Errorf("after a signed in again: %q", out)
	}
	var none *Pool
	if none.Known() != nil {
		t.Error("a nil pool masks")
	}
}

// BenchmarkKnown is what a call pays for the masker of every account's
// secrets while none changed (10 signed-in accounts and the pasted one).
func BenchmarkKnown(b *testing.B) {
	var logins []Login
	for i := range 10 {
		logins = append(logins, Login{Email: fmt.Sprintf("a%d@x.io", i), Password: "password"})
	}
	p := New(Config{Logins: logins, Cookie: qwen.Credentials{Cookies: "token=eyJpasted.jwt.sig"}, SignIn: func(_ context.Context, l Login) (SignedIn, error) {
		return SignedIn{Cookies: "token=eyJ" + l.Email + ".sig", Expires: time.Now().Add(time.Hour)}, nil
	}})
	for _, l := range logins {
		if _, err := p.Credentials(With(context.Background(), l.Email)); err != nil {
			b.Fatal(err)
		}
	}
	p.Known()
	b.ReportAllocs()
	for b.Loop() {
		p.Known()
	}
}

// A token an account held before (replaced by a sign-in or a refresh) is
// still masked: a client may carry one it read earlier (it reached the
// record as sent once replaced). The masker keeps the last maxRetired such
// sets, not every token the process ever saw.
func TestKnownMasksTheSecretsAnAccountHeldBefore(t *testing.T) {
	tokens := 0
	p := New(Config{
		Logins: []Login{{Email: "a@x.io", Password: "a-password-1"}},
		SignIn: func(context.Context, Login) (SignedIn, error) {
			tokens++
			return SignedIn{Cookies: fmt.Sprintf("token=eyJsigned.in-%d.sig", tokens), Expires: time.Now().Add(time.Hour)}, nil
		},
	})
	if _, err := p.Credentials(With(context.Background(), "a@x.io")); err != nil {
		t.Fatal(err)
	}
	p.Known() // the masker sees the first token
	for range maxRetired + 1 {
		if _, err := p.SignInAgain(context.Background(), "a@x.io"); err != nil {
			t.Fatal(err)
		}
		p.Known()
	}
	// tokens 1 … maxRetired+2 were held; the last is the account's now.
	current := fmt.Sprintf("eyJsigned.in-%d.sig", tokens)
	previous := fmt.Sprintf("eyJsigned.in-%d.sig", tokens-1)
	oldestKept := fmt.Sprintf("eyJsigned.in-%d.sig", tokens-maxRetired)
	for _, tok := range []string{current, previous, oldestKept} {
		if out := p.Known().String("token " + tok); out != "token [REDACTED]" {
			t.Errorf("%s: %q, want it masked", tok, out)
		}
	}
	if first := "eyJsigned.in-1.sig"; p.Known().String(first) != first {
		t.Errorf("the first of %d tokens is still kept: want the last %d sets only", tokens, maxRetired)
	}
}
