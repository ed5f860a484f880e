package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// With accounts stored by `accounts add` and neither a pasted cookie nor
// QWEN_ACCOUNTS, doctor said no_credentials and advised the `accounts add`
// already done, though a server signs those accounts in and serves. It
// checks as a stored account, signed in; one it cannot open (no key) is
// diagnosed as locked, with the key's advice.
func TestDoctorChecksAsAStoredAccount(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.AddAccount("ada@example.com", "ada-secret")
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWENPROXY_SECRET_KEY": key1,
		"QWEN_BASE_URL": sim.URL, "QWEN_TIMEOUT": "10000"}
	var out, errOut bytes.Buffer
	if code := runWithInput(context.Background(), []string{"accounts", "add", "--email", "ada@example.com"}, func(k string) string { return vars[k] },
		strings.NewReader("ada-secret\n"), &out, &errOut); code != 0 {
		t.Fatalf("add: %d %s %s", code, out.String(), errOut.String())
	}
	code, rep, printed := doctorJSON(t, vars)
	if code != qwen.DiagnosisOK.Code || rep.Credentials != "account ada@example.com" || strings.Contains(printed, "ada-secret") {
		t.Fatalf("with the key: exit %d, report %s", code, printed)
	}
	vars["QWENPROXY_SECRET_KEY"] = ""
	code, rep, printed = doctorJSON(t, vars)
	if code == qwen.DiagnosisOK.Code || code == qwen.DiagnosisNoCredentials.Code || rep.Credentials != "account ada@example.com" ||
		!strings.Contains(rep.Diagnosis.Advice, "QWENPROXY_SECRET_KEY") {
		t.Fatalf("without the key: exit %d, report %s", code, printed)
	}
}

// Stored credentials that cannot be opened (no key), with no cookie in the
// environment: doctor said it was "using the environment's", which held
// none, and went on to check as a stored account. It says the environment
// has none instead, and uses the environment's only when it has some.
func TestDoctorSaysWhenTheEnvironmentHasNoCredentialsToFallBackOn(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWENPROXY_SECRET_KEY": key1,
		"QWEN_BASE_URL": sim.URL, "QWEN_TIMEOUT": "10000"}
	getenv := func(k string) string { return vars[k] }
	var out, errOut bytes.Buffer
	if code := runWithInput(context.Background(), []string{"credentials", "set"}, getenv, strings.NewReader(qwensim.LoginCookie()+"\n"), &out, &errOut); code != 0 {
		t.Fatalf("credentials set: %d %s %s", code, out.String(), errOut.String())
	}
	vars["QWENPROXY_SECRET_KEY"] = ""
	for _, cookie := range []string{"", qwensim.LoginCookie()} {
		vars["QWEN_COOKIES"] = cookie
		out.Reset()
		errOut.Reset()
		run(context.Background(), []string{"doctor"}, getenv, &out, &errOut)
		said := errOut.String()
		if !strings.Contains(said, "cannot use the stored credentials") {
			t.Fatalf("QWEN_COOKIES=%q: %s", cookie, said)
		}
		if fallback := strings.Contains(said, "using the environment's"); fallback != (cookie != "") {
			t.Fatalf("QWEN_COOKIES=%q: %s", cookie, said)
		}
		if cookie == "" && !strings.Contains(said, "the environment has none") {
			t.Fatalf("QWEN_COOKIES unset: %s", said)
		}
	}
}

// A stored account doctor cannot open (no QWENPROXY_SECRET_KEY, or another
// key than the one that sealed its password) was diagnosed
// credentials_rejected (exit 6), though its password never reached Qwen:
// the secret is locked here. doctor says so (credentials_locked, exit 13),
// with the key's advice, for the account (and for `accounts test`'s
// report) and for a stored cookie it cannot open with nothing else to check.
func TestDoctorDiagnosesALockedStoredSecretAsLocked(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.AddAccount("ada@example.com", "ada-secret")
	for _, what := range []string{"account", "cookie"} {
		vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWENPROXY_SECRET_KEY": key1,
			"QWEN_BASE_URL": sim.URL, "QWEN_TIMEOUT": "10000"}
		getenv := func(k string) string { return vars[k] }
		args, stdin := []string{"accounts", "add", "--email", "ada@example.com"}, "ada-secret\n"
		if what == "cookie" {
			args, stdin = []string{"credentials", "set"}, qwensim.LoginCookie()+"\n"
		}
		var out, errOut bytes.Buffer
		if code := runWithInput(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut); code != 0 {
			t.Fatalf("%s: %d %s %s", what, code, out.String(), errOut.String())
		}
		for _, key := range []string{"", key2} {
			vars["QWENPROXY_SECRET_KEY"] = key
			code, rep, printed := doctorJSON(t, vars)
			if code != qwen.DiagnosisCredentialsLocked.Code || rep.Diagnosis.Name != "credentials_locked" ||
				!strings.Contains(rep.Diagnosis.Advice, "QWENPROXY_SECRET_KEY") || strings.Contains(rep.Diagnosis.Advice, "refused") {
				t.Errorf("%s, key %q: exit %d, report %s", what, key, code, printed)
			}
			if what != "account" {
				continue
			}
			out.Reset()
			errOut.Reset()
			if code := runWithInput(context.Background(), []string{"accounts", "test", "--json"}, getenv, strings.NewReader(""), &out, &errOut); code != 1 ||
				!strings.Contains(out.String(), `"credentials_locked"`) || strings.Contains(out.String(), "credentials_rejected") {
				t.Errorf("accounts test, key %q: %d %s %s", key, code, out.String(), errOut.String())
			}
		}
	}
}
