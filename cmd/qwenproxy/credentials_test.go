package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// dirHolds reports whether any file in dir (the database and its -wal and
// -shm files) holds secret.
func dirHolds(t *testing.T, dir, secret string) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			return true
		}
	}
	return false
}

// TestStoredCredentialsAreSealedUnderTheKey: with QWENPROXY_SECRET_KEY set,
// `credentials set` never writes the cookie or the bx-umidtoken to the
// database file; they read back with the key, are refused clearly without
// it, and `accounts rekey` re-seals them; a row stored in clear (before
// sealing, or without a key) still reads, and without a key the CLI warns.
func TestStoredCredentialsAreSealedUnderTheKey(t *testing.T) {
	dir := t.TempDir()
	vars, run := cliWithVars(filepath.Join(dir, "c.db"))
	jwt := "h.eyJleHAiOjE3OTkwMDAwMDB9.secretsig" // {"exp":1799000000}
	cookie := "acw_tc=cookie-secret-1; token=" + jwt

	// Without a key: stored in clear, as before, and the user is told so.
	code, out, errOut := run("umid-clear-value\n"+cookie+"\n", "credentials", "set")
	if code != 0 || !strings.Contains(errOut, "stored unencrypted") || !strings.Contains(errOut, "QWENPROXY_SECRET_KEY") {
		t.Fatalf("set without a key: %d %s %s", code, out, errOut)
	}
	if !dirHolds(t, dir, "cookie-secret-1") {
		t.Fatal("without a key the cookie should be stored as before (in clear)")
	}

	// With a key, the legacy clear row still reads; rekey seals it.
	vars["QWENPROXY_SECRET_KEY"] = key1
	if code, out, errOut := run("", "credentials", "--json"); code != 0 || !strings.Contains(out, `"mode": "normal"`) {
		t.Fatalf("status of a clear row with a key: %d %s %s", code, out, errOut)
	}
	// It says it sealed them: it said "0 accounts re-sealed" alone.
	if code, out, errOut := run("", "accounts", "rekey"); code != 0 || !strings.Contains(out, "0 accounts and the stored credentials (`credentials set`) re-sealed") {
		t.Fatalf("rekey: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run("", "accounts", "rekey", "--json"); code != 0 || !strings.Contains(out, `"credentials_resealed": true`) {
		t.Fatalf("rekey --json: %d %s %s", code, out, errOut)
	}
	if code, _, _ := run("", "credentials", "clear"); code != 0 {
		t.Fatal("clear")
	}
	code, out, errOut = run("umid-sealed-value\nacw_tc=cookie-secret-2; token="+jwt+"\n", "credentials", "set")
	if code != 0 || strings.Contains(errOut, "unencrypted") {
		t.Fatalf("set with a key: %d %s %s", code, out, errOut)
	}
	for _, secret := range []string{"cookie-secret-2", "umid-sealed-value", "secretsig", "cookie-secret-1", "umid-clear-value"} {
		if dirHolds(t, dir, secret) {
			t.Fatalf("the database file holds %q in clear", secret)
		}
	}
	if code, out, errOut := run("", "credentials", "--json"); code != 0 || !strings.Contains(out, `"mode": "normal"`) || !strings.Contains(out, "2027-01-03T18:13:20Z") {
		t.Fatalf("status of the sealed row: %d %s %s", code, out, errOut)
	}

	// Without the key, the sealed row is refused with what to do.
	delete(vars, "QWENPROXY_SECRET_KEY")
	if code, out, errOut := run("", "credentials"); code == 0 || !strings.Contains(out+errOut, "sealed") || !strings.Contains(out+errOut, "QWENPROXY_SECRET_KEY") {
		t.Fatalf("status without the key: %d %s %s", code, out, errOut)
	}

	// Rotation: rekey under NEW,OLD, then NEW alone opens it.
	vars["QWENPROXY_SECRET_KEY"] = key2 + "," + key1
	if code, out, errOut := run("", "accounts", "rekey"); code != 0 {
		t.Fatalf("rekey: %d %s %s", code, out, errOut)
	}
	vars["QWENPROXY_SECRET_KEY"] = key2
	if code, out, errOut := run("", "credentials", "--json"); code != 0 || !strings.Contains(out, `"mode": "normal"`) {
		t.Fatalf("status under the new key alone: %d %s %s", code, out, errOut)
	}
	if dirHolds(t, dir, "cookie-secret-2") {
		t.Fatal("the re-sealed cookie is in the database file in clear")
	}
}

// TestDoctorUsesTheSealedStoredCredentials: doctor reads the credentials of
// `credentials set` (opening them with the key); without the key it says
// they are sealed instead of ignoring them silently, and ends
// credentials_locked (it ended no_credentials, which advised storing them).
func TestDoctorUsesTheSealedStoredCredentials(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "d.db"), "QWEN_BASE_URL": sim.URL, "QWENPROXY_SECRET_KEY": key1}
	env := func(k string) string { return vars[k] }
	var out, errOut bytes.Buffer
	if code := runWithInput(context.Background(), []string{"credentials", "set"}, env, strings.NewReader(qwensim.LoginCookie()+"\n"), &out, &errOut); code != 0 {
		t.Fatalf("set: %s %s", out.String(), errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"doctor", "--json"}, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), `"credentials": "stored"`) {
		t.Fatalf("doctor with the key: %d %s %s", code, out.String(), errOut.String())
	}
	delete(vars, "QWENPROXY_SECRET_KEY")
	out.Reset()
	errOut.Reset()
	code := run(context.Background(), []string{"doctor", "--json"}, env, &out, &errOut)
	if code != qwen.DiagnosisCredentialsLocked.Code || !strings.Contains(errOut.String(), "sealed") || !strings.Contains(errOut.String(), "QWENPROXY_SECRET_KEY") {
		t.Fatalf("doctor without the key: %d %s %s", code, out.String(), errOut.String())
	}
}

// A Cookie header whose login token has expired is refused by `credentials
// set`, with what to do, and changes nothing (it was stored, said to be
// used within seconds, and every call was then refused); credentials that
// expire after they were stored are said to have expired.
func TestAnExpiredLoginTokenIsNotStored(t *testing.T) {
	vars, run := cliWithVars(filepath.Join(t.TempDir(), "c.db"))
	expired := "h.eyJleHAiOjE3MDAwMDAwMDB9.s" // {"exp":1700000000}, 2023
	code, out, errOut := run("acw_tc=1; token="+expired+"\n", "credentials", "set")
	if code != 1 || !strings.Contains(errOut, "expired") || !strings.Contains(errOut, "fresh Cookie header") || strings.Contains(out+errOut, expired) {
		t.Fatalf("set with an expired token: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run("", "credentials", "--json"); code != 0 || !strings.Contains(out, `"stored": false`) {
		t.Fatalf("the refused cookie was stored: %d %s", code, out)
	}
	// In the environment (where set cannot refuse it), the status says so.
	vars["QWEN_COOKIES"] = "token=" + expired
	if code, out, _ := run("", "credentials"); code != 0 || !strings.Contains(out, "the login token expired") {
		t.Fatalf("status of an expired token: %d %s", code, out)
	}
	if code, out, _ := run("", "credentials", "--json"); code != 0 || !strings.Contains(out, `"token_expired": true`) {
		t.Fatalf("status of an expired token: %d %s", code, out)
	}
}

// `credentials set` given nothing it can use (no input, a line without a
// login token) says so and creates no database: it made and migrated one at
// --database-path before it read its input.
func TestRefusedCredentialsSetCreatesNoDatabase(t *testing.T) {
	for _, input := range []string{"", "acw_tc=only\n"} {
		db := filepath.Join(t.TempDir(), "c.db")
		env := func(k string) string {
			if k == "DATABASE_PATH" {
				return db
			}
			return ""
		}
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), []string{"credentials", "set"}, env, strings.NewReader(input), &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), "Cookie header") {
			t.Fatalf("%q: exit %d: %s%s", input, code, out.String(), errOut.String())
		}
		if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%q: a refused credentials set left a database at %s (%v)", input, db, err)
		}
	}
}

// `credentials clear` says whether there was anything to clear: with none
// stored it said "stored credentials cleared" ({"cleared": true}).
func TestCredentialsClearSaysWhetherAnyWereStored(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	env := func(k string) string {
		if k == "DATABASE_PATH" {
			return db
		}
		return ""
	}
	run := func(stdin string, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := runWithInput(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s%s", args, code, out.String(), errOut.String())
		}
		return out.String()
	}
	if out := run("", "credentials", "clear", "--json"); !strings.Contains(out, `"cleared": false`) {
		t.Fatalf("clear with none stored: %s", out)
	}
	if out := run("", "credentials", "clear"); !strings.Contains(out, "nothing cleared") {
		t.Fatalf("clear with none stored: %s", out)
	}
	run(qwensim.LoginCookie()+"\n", "credentials", "set")
	if out := run("", "credentials", "clear", "--json"); !strings.Contains(out, `"cleared": true`) {
		t.Fatalf("clear of stored credentials: %s", out)
	}
}

// cliWithVars runs the CLI with input on stdin and the environment vars
// (DATABASE_PATH set to db; the caller may add more), returning its exit
// code, stdout and stderr.
func cliWithVars(db string) (vars map[string]string, run func(stdin string, args ...string) (int, string, string)) {
	vars = map[string]string{"DATABASE_PATH": db}
	env := func(k string) string { return vars[k] }
	return vars, func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut)
		return code, out.String(), errOut.String()
	}
}

// `credentials --help` describes the input the README gives it (`printf
// '%s\n' "$COOKIE" | qwenproxy credentials set`): the Cookie header alone, on
// one line, the bx-umidtoken being optional. It said "read the bx-umidtoken
// and the Cookie header from standard input, one per line", which sent a
// user to find a bx-umidtoken first. The one line it names is what is stored.
func TestCredentialsSetHelpNamesTheCookieAlone(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	help, _, code := runCLI(t, db, "credentials", "--help")
	var setLine string
	for _, line := range strings.Split(help, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "set ") {
			setLine = line
		}
	}
	if code != 0 || !strings.Contains(setLine, "read a logged-in browser's Cookie header from standard input") ||
		strings.Contains(setLine, "one per line") {
		t.Fatalf("exit %d; the set action's help: %q", code, setLine)
	}
	env := func(k string) string {
		if k == "DATABASE_PATH" {
			return db
		}
		return ""
	}
	var out, errOut bytes.Buffer
	cookie := "acw_tc=x; " + qwensim.LoginCookie()
	if code := runWithInput(context.Background(), []string{"credentials", "set"}, env, strings.NewReader(cookie+"\n"), &out, &errOut); code != 0 {
		t.Fatalf("set with the Cookie header alone: exit %d: %s", code, errOut.String())
	}
	if status, _, _ := runCLI(t, db, "credentials"); !strings.Contains(status, "normal mode") {
		t.Fatalf("the one line was not stored as the Cookie header: %s", status)
	}
}

// Stored without a key, `credentials set` names what went in clear: a
// guest's cookie and bx-umidtoken, which hold no login token. It said "the
// cookie (which holds the login token)" whatever it was given, and left the
// bx-umidtoken unnamed.
func TestUnsealedWarningNamesWhatWasStored(t *testing.T) {
	jwt := "h.eyJleHAiOjQxMDI0NDQ4MDB9.sig" // {"exp":4102444800}
	for _, c := range []struct {
		name, stdin   string
		want, wantNot []string
	}{
		{"guest", "umid-value\nacw_tc=guest-cookie\n", []string{"the cookie and the bx-umidtoken (guest credentials) are stored unencrypted"}, []string{"login token"}},
		{"logged in", "token=" + jwt + "\n", []string{"the cookie (which holds the login token) is stored unencrypted"}, []string{"bx-umidtoken"}},
		{"logged in with a bx-umidtoken", "umid-value\ntoken=" + jwt + "\n", []string{"the cookie (which holds the login token) and the bx-umidtoken are stored unencrypted"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, run := cliWithVars(filepath.Join(t.TempDir(), "c.db"))
			code, out, errOut := run(c.stdin, "credentials", "set")
			if code != 0 {
				t.Fatalf("set: %d %s %s", code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("warning %q lacks %q", errOut, w)
				}
			}
			for _, w := range c.wantNot {
				if strings.Contains(errOut, w) {
					t.Errorf("warning %q says %q", errOut, w)
				}
			}
		})
	}
}

// `credentials set` reads one line (the Cookie header) or two (the
// bx-umidtoken, then the Cookie header); given more, it stored the first two
// (a cookie split over lines became a token and half a cookie). A third
// line with something on it is refused, nothing stored, no value echoed;
// blank lines after the two are taken as the end.
func TestCredentialsSetRefusesMoreThanTwoLines(t *testing.T) {
	_, run := cliWithVars(filepath.Join(t.TempDir(), "c.db"))
	code, out, errOut := run("umid-secret\nacw_tc=1; token=h.eyJ4IjoxfQ.s\nsecond-half-of-the-cookie\n", "credentials", "set")
	if code != 1 || !strings.Contains(errOut, "more than two lines") || strings.Contains(out+errOut, "secret") || strings.Contains(out+errOut, "second-half") {
		t.Fatalf("set with three lines: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run("", "credentials", "--json"); code != 0 || !strings.Contains(out, `"stored": false`) {
		t.Fatalf("three lines were stored: %d %s", code, out)
	}
	if code, out, errOut := run("umid\nacw_tc=1; token=h.eyJ4IjoxfQ.s\n\n\n", "credentials", "set"); code != 0 {
		t.Fatalf("two lines and blank ones after: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run("", "credentials", "--json"); code != 0 || !strings.Contains(out, `"stored": true`) {
		t.Fatalf("two lines were not stored: %d %s", code, out)
	}
}
