package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

const (
	key1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	key2 = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
)

func TestAccountsCommands(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.AddAccount("ada@example.com", " pass:word, with spaces ")
	db := filepath.Join(t.TempDir(), "a.db")
	vars := map[string]string{"DATABASE_PATH": db, "QWEN_BASE_URL": sim.URL, "QWEN_ACCOUNTS": "env@example.com:env-secret"}
	env := func(k string) string { return vars[k] }
	var printed strings.Builder
	run := func(stdin string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut)
		printed.WriteString(out.String() + errOut.String())
		return code, out.String() + errOut.String()
	}

	// Without a key nothing is stored, and the user is told why.
	if code, out := run(" pass:word, with spaces \n", "accounts", "add", "--email", "ada@example.com"); code != 1 ||
		!strings.Contains(out, "QWENPROXY_SECRET_KEY") {
		t.Fatalf("add without a key: %d %s", code, out)
	}
	vars["QWENPROXY_SECRET_KEY"] = key1
	if code, out := run("x\n", "accounts", "add", "--email", "not an address"); code != 1 || !strings.Contains(out, "e-mail") {
		t.Fatalf("add with a bad e-mail: %d %s", code, out)
	}
	if code, out := run(" pass:word, with spaces \n", "accounts", "add", "--email", "Ada@Example.com"); code != 0 || !strings.Contains(out, "ada@example.com") {
		t.Fatalf("add: %d %s", code, out)
	}

	// ls shows the stored account and the environment's, never a secret.
	code, out := run("", "accounts", "ls", "--json")
	var rows []accountRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 2 || rows[0].ID != "ada@example.com" || rows[1].ID != "env@example.com" {
		t.Fatalf("ls: %d %s", code, out)
	}

	// test signs the account in and makes a round trip; the password is right.
	if code, out := run("", "accounts", "test", "ada@example.com"); code != 0 || !strings.Contains(out, "ada@example.com\tok") {
		t.Fatalf("test: %d %s", code, out)
	}
	if sim.SignIns("ada@example.com") != 1 {
		t.Fatalf("%d sign-ins", sim.SignIns("ada@example.com"))
	}
	// The environment account's password is wrong for the simulator.
	if code, out := run("", "accounts", "test", "env@example.com"); code != 1 || !strings.Contains(out, "FAILED") {
		t.Fatalf("test of a refused account: %d %s", code, out)
	}
	code, out = run("", "accounts", "ls")
	if code != 0 || !strings.Contains(out, "auth_failed") || !strings.Contains(out, "auth=1") {
		t.Fatalf("ls after tests: %d %s", code, out)
	}

	// Key rotation: the new key first, then rekey, then the old key can go.
	vars["QWENPROXY_SECRET_KEY"] = key2 + "," + key1
	if code, out := run("", "accounts", "rekey"); code != 0 || !strings.Contains(out, "re-sealed") {
		t.Fatalf("rekey: %d %s", code, out)
	}
	vars["QWENPROXY_SECRET_KEY"] = key2
	if code, out := run("", "accounts", "test", "ada@example.com"); code != 0 {
		t.Fatalf("test after rotation: %d %s", code, out)
	}
	vars["QWENPROXY_SECRET_KEY"] = key1 // the old key alone no longer opens it
	if code, out := run("", "accounts", "ls"); code != 0 || !strings.Contains(out, "does not open its password") {
		t.Fatalf("ls with a key that does not open: %d %s", code, out)
	}
	vars["QWENPROXY_SECRET_KEY"] = key2

	if code, out := run("", "accounts", "rm", "env@example.com"); code != 1 || !strings.Contains(out, "QWEN_ACCOUNTS") {
		t.Fatalf("rm of an environment account: %d %s", code, out)
	}
	if code, out := run("", "accounts", "rm", "ADA@example.com"); code != 0 || !strings.Contains(out, "removed") {
		t.Fatalf("rm: %d %s", code, out)
	}
	if code, _ := run("", "accounts", "rm", "ada@example.com"); code != 1 {
		t.Fatal("removing a missing account succeeded")
	}

	// Nothing printed, and nothing in the file, is a secret.
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if wal, err := os.ReadFile(db + "-wal"); err == nil {
		raw = append(raw, wal...)
	}
	for _, secret := range []string{"pass:word", "env-secret", "token=eyJ", "eyJ"} {
		// (A bare "eyJ" may occur by chance in sealed base64; the file is
		// checked for the JWT as a cookie.)
		if secret != "eyJ" && bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database file holds %q", secret)
		}
		if strings.Contains(printed.String(), secret) {
			t.Errorf("the commands printed %q", secret)
		}
	}
}

// An account of QWEN_ACCOUNTS is signed in with the password given there:
// `accounts add` refuses it (a stored password would never be used, and
// the row would no longer say where the account comes from), whether this
// command or only a server was given it, and `accounts rm` keeps refusing.
func TestAccountsAddRefusesAnEnvironmentAccount(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	db := filepath.Join(t.TempDir(), "a.db")
	vars := map[string]string{"DATABASE_PATH": db, "QWEN_BASE_URL": sim.URL, "QWENPROXY_SECRET_KEY": key1, "QWEN_ACCOUNTS": "carol@example.com:env-secret"}
	env := func(k string) string { return vars[k] }
	run := func(stdin string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := run("", "accounts", "ls"); code != 0 { // makes the database
		t.Fatalf("ls: %d %s", code, out)
	}
	// As a server does, the test writes the account's row (source environment).
	if code, out := run("", "accounts", "test", "carol@example.com"); code != 1 || !strings.Contains(out, "QWEN_ACCOUNTS") {
		t.Fatalf("test of a refused environment account: %d %s", code, out)
	}
	for _, list := range []string{"carol@example.com:env-secret", ""} { // this command's QWEN_ACCOUNTS, or only the server's
		vars["QWEN_ACCOUNTS"] = list
		code, out := run("new-secret\n", "accounts", "add", "--email", "Carol@example.com")
		if code != 1 || !strings.Contains(out, "QWEN_ACCOUNTS") || strings.Contains(out, "stored (") {
			t.Fatalf("add of an environment account (QWEN_ACCOUNTS=%q here): %d %s", list, code, out)
		}
		if code, out := run("", "accounts", "rm", "carol@example.com"); code != 1 || !strings.Contains(out, "QWEN_ACCOUNTS") {
			t.Fatalf("rm of an environment account: %d %s", code, out)
		}
	}
	code, out := run("", "accounts", "ls", "--json")
	var rows []accountRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0].Source != "environment" ||
		rows[0].State != "auth_failed" || !strings.Contains(rows[0].Note, "QWEN_ACCOUNTS") || strings.Contains(rows[0].Note, "accounts add") {
		t.Fatalf("ls: %d %s", code, out)
	}
	if strings.Contains(out, "new-secret") || strings.Contains(out, "env-secret") {
		t.Fatal("a password was printed")
	}
}

// accountsCLI runs the binary's commands on a new database made by
// `accounts ls`, with QWEN_ACCOUNTS ada@example.com:password and a simulator
// that knows ada@example.com with simPassword; settings are more variables,
// name then value.
func accountsCLI(t *testing.T, simPassword, password string, settings ...string) (*qwensim.Server, func(args ...string) (int, string)) {
	t.Helper()
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	sim.AddAccount("ada@example.com", simPassword)
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWEN_BASE_URL": sim.URL, "QWEN_ACCOUNTS": "ada@example.com:" + password}
	for i := 0; i+1 < len(settings); i += 2 {
		vars[settings[i]] = settings[i+1]
	}
	env := func(k string) string { return vars[k] }
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, env, strings.NewReader(""), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := run("accounts", "ls"); code != 0 { // makes the database
		t.Fatalf("ls: %d %s", code, out)
	}
	return sim, run
}

// An account whose firewall cooldown has ended is ready, and accounts ls
// shows it without the firewall's note.
func TestAccountsListShowsNoFailureNoteOnAReadyAccount(t *testing.T) {
	sim, run := accountsCLI(t, "right", "right", "QWEN_FAILURE_COOLDOWN", "0")
	sim.FailSignIns("ada@example.com", 1)
	if code, out := run("accounts", "test", "ada@example.com"); code != 1 || !strings.Contains(out, "firewall") {
		t.Fatalf("test behind the firewall: %d %s", code, out)
	}
	// The cooldown (QWEN_FAILURE_COOLDOWN, none here) has ended: ready.
	code, out := run("accounts", "ls", "--json")
	var rows []accountRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
		t.Fatalf("ls: %d %s", code, out)
	}
	if r := rows[0]; r.State != "ready" || r.FailureClass != "" || r.Note != "" || r.Failures["firewall"] != 1 {
		t.Fatalf("a ready account after a firewall page: %+v", r)
	}
}

// accounts reset makes an account Qwen refused usable again: the refusal
// lasts, across restarts, until the password changes, and no command
// cleared it when Qwen had refused it for a reason of its own.
func TestAccountsResetLiftsARefusal(t *testing.T) {
	sim, run := accountsCLI(t, "changed on Qwen's side", "right")
	if code, out := run("accounts", "test", "ada@example.com"); code != 1 || !strings.Contains(out, "credentials_rejected") {
		t.Fatalf("test with a refused password: %d %s", code, out)
	}
	sim.AddAccount("ada@example.com", "right") // Qwen takes it again
	// (`accounts test` would try the password now, and end the refusal:
	// TestAccountsTestTriesTheRefusedPassword. The reset is without it.)
	if code, out := run("accounts", "reset", "ada@example.com"); code != 0 || !strings.Contains(out, "was auth_failed") {
		t.Fatalf("reset: %d %s", code, out)
	}
	if code, out := run("accounts", "test", "ada@example.com"); code != 0 {
		t.Fatalf("test after the reset: %d %s", code, out)
	}
	if code, out := run("accounts", "reset", "nobody@example.com"); code != 1 || !strings.Contains(out, "no account nobody@example.com") {
		t.Fatalf("reset of an unknown account: %d %s", code, out)
	}
	// The pasted cookie's state is each server's own: said so, not "no account".
	if code, out := run("accounts", "reset", "cookie"); code != 1 || !strings.Contains(out, "each server's own") || !strings.Contains(out, "restart") {
		t.Fatalf("reset of the pasted cookie: %d %s", code, out)
	}
	if code, _ := run("accounts", "reset"); code != 2 {
		t.Fatalf("reset without an account: exit %d, want 2", code)
	}
}

// Every command that changes something says what it did as JSON with
// --json, as the README says of every command (accounts add, rm, reset and
// rekey, keys rm and credentials clear printed their sentence).
func TestCommandsThatChangeSomethingSpeakJSON(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	vars := map[string]string{"DATABASE_PATH": db, "QWENPROXY_SECRET_KEY": key1}
	env := func(k string) string { return vars[k] }
	run := func(stdin string, args ...string) map[string]any {
		t.Helper()
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut)
		var v map[string]any
		if err := json.Unmarshal(out.Bytes(), &v); code != 0 || err != nil {
			t.Fatalf("%v: exit %d, %v:\n%s%s", args, code, err, out.String(), errOut.String())
		}
		return v
	}
	if v := run("secret\n", "accounts", "add", "--email", "ada@example.com", "--json"); v["stored"] != true || v["id"] != "ada@example.com" {
		t.Fatalf("accounts add: %v", v)
	}
	if v := run("", "accounts", "reset", "ada@example.com", "--json"); v["state"] != "ready" {
		t.Fatalf("accounts reset: %v", v)
	}
	if v := run("", "accounts", "rekey", "--json"); v["resealed"] != float64(1) {
		t.Fatalf("accounts rekey: %v", v)
	}
	if v := run("", "accounts", "rm", "ada@example.com", "--json"); v["removed"] != true {
		t.Fatalf("accounts rm: %v", v)
	}
	key := run("", "keys", "add", "--json")
	if v := run("", "keys", "rm", key["id"].(string), "--json"); v["removed"] != true {
		t.Fatalf("keys rm: %v", v)
	}
	run("token=abc\n", "credentials", "set", "--json")
	if v := run("", "credentials", "clear", "--json"); v["cleared"] != true {
		t.Fatalf("credentials clear: %v", v)
	}
}

// accounts test --json prints, for scripts, JSON alone: each account's
// report (its steps and diagnosis, as doctor --json's), never a secret; the
// exit status still says whether any account failed.
func TestAccountsTestJSON(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.AddAccount("ada@example.com", "ada-secret")
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWEN_BASE_URL": sim.URL,
		"QWEN_ACCOUNTS": "ada@example.com:ada-secret,bob@example.com:bob-secret"}
	var out, errOut bytes.Buffer
	code := runWithInput(context.Background(), []string{"accounts", "ls"}, func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("ls: %d %s", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	code = runWithInput(context.Background(), []string{"accounts", "test", "--json"}, func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut)
	var reports []doctorReport
	if err := json.Unmarshal(out.Bytes(), &reports); err != nil || code != 1 || len(reports) != 2 {
		t.Fatalf("test --json: exit %d, %v\n%s\n%s", code, err, out.String(), errOut.String())
	}
	if r := reports[0]; r.Credentials != "ada@example.com" || r.Diagnosis.Name != "ok" || len(r.Steps) != 4 {
		t.Errorf("ada: %+v", r)
	}
	if r := reports[1]; r.Credentials != "bob@example.com" || r.Diagnosis.Name != "credentials_rejected" || len(r.Steps) != 1 || r.Steps[0].Name != "sign-in" {
		t.Errorf("bob: %+v", r)
	}
	if strings.Contains(out.String(), "secret") {
		t.Errorf("a password was printed:\n%s", out.String())
	}
}

// `accounts add` that is refused for what it was given — an address that is
// not one, no QWENPROXY_SECRET_KEY to seal the password with, an account of
// this command's QWEN_ACCOUNTS, no password on standard input — creates no database: it made and migrated
// one at --database-path before it refused.
func TestRefusedAccountsAddCreatesNoDatabase(t *testing.T) {
	for _, tc := range []struct {
		name, email string
		vars        map[string]string
		want        string
		stdin       string // the password's line; "pw\n" when empty
	}{
		{"not an address", "notanemail", map[string]string{"QWENPROXY_SECRET_KEY": key1}, "not an e-mail address", ""},
		{"no key", "ada@example.com", nil, "QWENPROXY_SECRET_KEY is not set", ""},
		{"an environment account", "carol@example.com", map[string]string{"QWEN_ACCOUNTS": "carol@example.com:env-secret"}, "comes from QWEN_ACCOUNTS", ""},
		{"no password", "ada@example.com", map[string]string{"QWENPROXY_SECRET_KEY": key1}, "no password given", "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "a.db")
			env := func(k string) string {
				if k == "DATABASE_PATH" {
					return db
				}
				return tc.vars[k]
			}
			var out, errOut bytes.Buffer
			code := runWithInput(context.Background(), []string{"accounts", "add", "--email", tc.email}, env, strings.NewReader(cmp.Or(tc.stdin, "pw\n")), &out, &errOut)
			if code != 1 || !strings.Contains(errOut.String(), tc.want) {
				t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
			}
			if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused accounts add left a database at %s (%v)", db, err)
			}
		})
	}
}

// `accounts rekey` without QWENPROXY_SECRET_KEY has nothing to re-seal with
// and is refused; it made and migrated a database at --database-path first,
// as `accounts add` once did.
func TestRefusedAccountsRekeyCreatesNoDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	_, errOut, code := runCLI(t, db, "accounts", "rekey")
	if code != 1 || !strings.Contains(errOut, "QWENPROXY_SECRET_KEY is not set") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused accounts rekey left a database at %s (%v)", db, err)
	}
}
