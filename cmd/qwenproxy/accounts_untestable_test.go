package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// `accounts test` said "no account ada@example.com" of an account `accounts
// ls` lists (a server's QWEN_ACCOUNTS has it; this command has no password
// for it), and, testing every account, left such accounts out without a
// word. It says, per account, that it cannot test it and why, and fails.
func TestAccountsTestSaysWhichAccountsItCannotTest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		sim, err := qwensim.Start(qwensim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer sim.Close()
		sim.AddAccount("bob@example.com", "right")
		st := storetest.Open(t, dbURL)
		if err := st.EnsureAccount(context.Background(), "ada@example.com", qp.AccountEnvironment, time.Now()); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"QWEN_BASE_URL": sim.URL}
		run := func(args ...string) (int, string, string) {
			var out, errOut bytes.Buffer
			code := runWithInput(context.Background(), append(args, databaseFlag(dbURL)...), func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut)
			return code, out.String(), errOut.String()
		}
		if code, out, errOut := run("accounts", "ls"); code != 0 || !strings.Contains(out, "ada@example.com") {
			t.Fatalf("ls: %d %s%s", code, out, errOut)
		}
		cannot := func(text string) bool {
			return strings.Contains(text, "ada@example.com") && strings.Contains(text, "cannot test") && strings.Contains(text, "QWEN_ACCOUNTS") &&
				!strings.Contains(text, "no account")
		}
		if code, out, errOut := run("accounts", "test", "ada@example.com"); code != 1 || !cannot(out+errOut) {
			t.Errorf("test of the server's account: %d\n%s%s", code, out, errOut)
		}
		vars["QWEN_ACCOUNTS"] = "bob@example.com:right"
		code, out, errOut := run("accounts", "test")
		if code != 1 || !strings.Contains(out, "bob@example.com\tok") || !cannot(out) || !strings.Contains(errOut, "could not be tested") {
			t.Errorf("test of every account: %d\n%s%s", code, out, errOut)
		}
		code, out, errOut = run("accounts", "test", "--json")
		var reports []doctorReport
		if err := json.Unmarshal([]byte(out), &reports); code != 1 || err != nil || len(reports) != 2 {
			t.Fatalf("--json: %d %v\n%s%s", code, err, out, errOut)
		}
		for _, r := range reports {
			if r.Credentials == "ada@example.com" && (r.Diagnosis.Name != "not_tested" || !strings.Contains(r.Diagnosis.Advice, "QWEN_ACCOUNTS")) {
				t.Errorf("--json: the untested account's report %+v", r)
			}
		}
	})
}
