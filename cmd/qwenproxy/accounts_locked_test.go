package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// TestAccountsListShowsAnAccountItCannotOpenAsLocked: an account added
// with a key is "locked" in `accounts ls` run without that key, as health
// shows it, not "ready".
func TestAccountsListShowsAnAccountItCannotOpenAsLocked(t *testing.T) {
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWENPROXY_SECRET_KEY": key1}
	env := func(k string) string { return vars[k] }
	run := func(stdin string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := run("pw\n", "accounts", "add", "--email", "ada@example.com"); code != 0 {
		t.Fatalf("add: %d %s", code, out)
	}
	if code, out := run("", "accounts", "ls", "--json"); code != 0 || !strings.Contains(out, `"state": "ready"`) {
		t.Fatalf("ls with the key: %d %s", code, out)
	}
	for _, key := range []string{"", key2} {
		vars["QWENPROXY_SECRET_KEY"] = key
		if code, out := run("", "accounts", "ls", "--json"); code != 0 || !strings.Contains(out, `"state": "locked"`) || strings.Contains(out, `"ready"`) {
			t.Fatalf("ls with key %q: %d %s", key, code, out)
		}
	}
}

// TestAccountsTestAdvisesOnTheCredentialItUses: a refused password is
// answered with the e-mail and password to check, never a cookie to copy;
// the pasted cookie's refusal keeps the cookie advice.
func TestAccountsTestAdvisesOnTheCredentialItUses(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	expired := "token=eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"id":"u","exp":1000}`)) + ".c2ln"
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWEN_BASE_URL": sim.URL,
		"QWEN_ACCOUNTS": "dave@example.com:wrong", "QWEN_COOKIES": expired}
	env := func(k string) string { return vars[k] }
	var out, errOut bytes.Buffer
	// accounts test reads an existing database only: make it.
	if code := runWithInput(context.Background(), []string{"migrate", "up"}, env, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut.String())
	}
	out.Reset()
	if code := runWithInput(context.Background(), []string{"accounts", "test"}, env, strings.NewReader(""), &out, &errOut); code == 0 {
		t.Fatalf("a refused password passed: %s", out.String())
	}
	var dave, cookie string
	for _, line := range strings.Split(out.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "dave@example.com\tFAILED"):
			dave = line
		case strings.HasPrefix(line, "cookie\tFAILED"):
			cookie = line
		}
	}
	if !strings.Contains(dave, "credentials_rejected") || !strings.Contains(dave, "e-mail and password") || strings.Contains(dave, "Cookie") {
		t.Fatalf("advice for a refused password: %q\n%s", dave, out.String())
	}
	if !strings.Contains(cookie, "Cookie header") {
		t.Fatalf("advice for a refused cookie: %q\n%s", cookie, out.String())
	}
}

// TestAccountsTestOfALockedAccountAdvisesTheKey: an account whose stored
// password this command cannot open was never shown to Qwen, so its advice
// is the key it was stored with, not a password Qwen refused.
func TestAccountsTestOfALockedAccountAdvisesTheKey(t *testing.T) {
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWENPROXY_SECRET_KEY": key1}
	env := func(k string) string { return vars[k] }
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, env, strings.NewReader("pw\n"), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := run("accounts", "add", "--email", "ada@example.com"); code != 0 {
		t.Fatalf("add: %d %s", code, out)
	}
	for _, key := range []string{"", key2} {
		vars["QWENPROXY_SECRET_KEY"] = key
		code, out := run("accounts", "test", "ada@example.com")
		if code != 1 || !strings.Contains(out, "QWENPROXY_SECRET_KEY") || strings.Contains(out, "Qwen refused") {
			t.Errorf("test with key %q: %d %s", key, code, out)
		}
	}
}

// TestAccountsResetOfALockedAccountSaysItIsLocked: `accounts reset` run
// without the key an account was added with said "is ready (it was
// ready)", and --json "state":"ready": the account is locked here, and a
// reset cannot change that. It says so and what to do, and stores nothing.
func TestAccountsResetOfALockedAccountSaysItIsLocked(t *testing.T) {
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWENPROXY_SECRET_KEY": key1}
	env := func(k string) string { return vars[k] }
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, env, strings.NewReader("pw\n"), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := run("accounts", "add", "--email", "ada@example.com"); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errOut)
	}
	for _, key := range []string{"", key2} {
		vars["QWENPROXY_SECRET_KEY"] = key
		for _, args := range [][]string{{"accounts", "reset", "ada@example.com"}, {"accounts", "reset", "--json", "ada@example.com"}} {
			code, out, errOut := run(args...)
			if code == 0 || strings.Contains(out+errOut, "ready") || !strings.Contains(errOut, "locked") || !strings.Contains(errOut, "QWENPROXY_SECRET_KEY") {
				t.Errorf("%v with key %q: %d\nstdout: %s\nstderr: %s", args, key, code, out, errOut)
			}
		}
	}
	vars["QWENPROXY_SECRET_KEY"] = key1
	if code, out, errOut := run("accounts", "reset", "ada@example.com"); code != 0 || !strings.Contains(out, "is ready") {
		t.Fatalf("reset with the key: %d %s%s", code, out, errOut)
	}
}
