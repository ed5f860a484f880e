package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// `accounts test` took the token another instance had stored for the
// account and made its round trip with it: with a wrong password (this
// command's QWEN_ACCOUNTS beside the servers' right one) it said ok. It
// signs in with the password it was given, every time, and says the
// password is refused; with the right one it signs in afresh too.
func TestAccountsTestSignsInWithThePasswordNotAStoredToken(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.AddAccount("ada@example.com", "right")
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWEN_BASE_URL": sim.URL, "QWENPROXY_SECRET_KEY": key1}
	run := func(password string) (int, string) {
		vars["QWEN_ACCOUNTS"] = "ada@example.com:" + password
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), []string{"accounts", "test", "ada@example.com"}, func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	var out, errOut bytes.Buffer // ls makes the database, which test does not
	if code := runWithInput(context.Background(), []string{"accounts", "ls"}, func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("ls: %s", errOut.String())
	}

	if code, out := run("right"); code != 0 || !strings.Contains(out, "ada@example.com\tok") || sim.SignIns("ada@example.com") != 1 {
		t.Fatalf("test with the right password: exit %d, %d sign-ins\n%s", code, sim.SignIns("ada@example.com"), out)
	}
	// The token stored by that sign-in is still good; the password is not.
	if code, out := run("wrong"); code != 1 || !strings.Contains(out, "FAILED") || !strings.Contains(out, "credentials_rejected") {
		t.Fatalf("test with a wrong password beside a stored token: exit %d\n%s", code, out)
	}
	if code, out := run("right"); code != 0 || sim.SignIns("ada@example.com") != 2 {
		t.Fatalf("test with the right password again: exit %d, %d sign-ins (want a second)\n%s", code, sim.SignIns("ada@example.com"), out)
	}
}
