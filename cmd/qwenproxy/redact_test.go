package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/store/storetest"
)

// The secrets a history recorded before 2026-12-05 may hold: a stored
// account's password, its digest and its token (expired, and still a
// secret), an account of QWEN_ACCOUNTS' password, the pasted cookie's login
// token and cookies, and an old password the operator gives on standard
// input. Names say what each is; none is printed by the command.
var (
	storedPassword = "stored-Passw0rd!"
	storedToken    = "eyJstored.expired-token.sig"
	envPassword    = "env-Passw0rd-42"
	pastedToken    = "eyJpasted.login-token.sig"
	pastedCookie   = "acwcookie-value-77"
	givenSecret    = "an-old-password-from-2025"
)

func historySecrets() []string {
	return []string{storedPassword, accounts.HashPassword(storedPassword), storedToken, envPassword, accounts.HashPassword(envPassword),
		pastedToken, pastedCookie, givenSecret}
}

// seedSecretHistory records calls, a session and a conversation holding
// every one of historySecrets, as histories recorded before records masked
// them hold them, and the accounts they belong to.
func seedSecretHistory(t *testing.T, dbURL string) {
	t.Helper()
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	sealer, err := accounts.NewSealer(key1)
	if err != nil {
		t.Fatal(err)
	}
	const id = "stored@example.com"
	sealed, err := sealer.Seal(storedPassword, id)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.PutAccount(ctx, qp.AccountRecord{ID: id, Source: qp.AccountStored, PasswordSealed: sealed, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	// As a sign-in stores it: bound to its upstream (chat.qwen.ai), sealed.
	token, err := sealer.Seal("qwenproxy_upstream=https%3A%2F%2Fchat.qwen.ai; token="+storedToken, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveAccountToken(ctx, id, qp.DefaultUpstream, token, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(now.Add(-72 * time.Hour).UnixMilli())
	long := strings.Repeat("a system prompt long enough to be a part of its own. ", 4)
	var calls []qp.Exchange
	for i, secret := range historySecrets() {
		quoted := fmt.Sprintf("%q", "my secret is "+secret+" & <b>")
		calls = append(calls, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("req-%d", i), SessionID: "s-1", Timestamp: at.Add(time.Duration(i) * time.Minute), Method: "POST",
				Path: "/v1/chat/completions", Model: "qwen3-max", ClientIP: "127.0.0.1", UserAgent: "test",
				OpenAIRequest: []byte(`{"model":"qwen3-max","messages":[{"role":"system","content":"` + long + secret + `"},{"role":"user","content":` + quoted + `}],"n":1.50}`),
				QwenRequest:   []byte(`{"messages":[{"content":` + quoted + `}]}`)},
			Response: qp.Response{ResponseID: fmt.Sprintf("resp-%d", i), Timestamp: at.Add(time.Duration(i)*time.Minute + time.Second), Status: qp.StatusSuccess,
				HTTPStatus: 200, FinishReason: "stop", Duration: time.Second,
				OpenAIResponse: []byte(`{"choices":[{"message":{"role":"assistant","content":` + quoted + `}}]}`),
				QwenResponse:   []byte("data: {\"c\":\"" + secret + "\"}\n\ndata: [DONE]\n\n")},
		})
	}
	// A call with no secret at all.
	calls = append(calls, qp.Exchange{
		Request: qp.Request{RequestID: "req-clean", SessionID: "s-1", Timestamp: at.Add(time.Hour), Method: "POST", Path: "/v1/chat/completions",
			Model: "qwen3-max", OpenAIRequest: []byte(`{"messages":[{"role":"user","content":"nothing here"}]}`)},
		Response: qp.Response{ResponseID: "resp-clean", Timestamp: at.Add(time.Hour + time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
			OpenAIResponse: []byte(`{"ok":true}`)},
	})
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{{ID: "s-1", ChatID: "c", Model: "qwen3-max",
		FirstUserMessage: "the password is " + envPassword + " and " + givenSecret, CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)}},
		Exchanges: calls}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateConversation(ctx, qp.ConversationObject{ID: "conv_1", CreatedAt: at, Metadata: map[string]string{"token": "x" + pastedToken}},
		[]qp.ConversationEntry{{ID: "e1", CreatedAt: at, Item: []byte(`{"type":"message","role":"user","content":"` + storedToken + `"}`)}}); err != nil {
		t.Fatal(err)
	}
}

// historyRedactEnv is the environment of a server of that history: its
// QWEN_ACCOUNTS, pasted cookie and key.
func historyRedactEnv(t *testing.T) map[string]string {
	return map[string]string{"QWENPROXY_SECRET_KEY": key1, "DATABASE_PATH": filepath.Join(t.TempDir(), "not-this-one.db"),
		"QWEN_ACCOUNTS": "env@example.com:" + envPassword, "QWEN_COOKIES": "token=" + pastedToken + "; acw_tc=" + pastedCookie}
}

// readHistory is everything the history reads back: the export with bodies
// (the history API's JSON), the session list (first messages), and
// `requests show` of one call.
func readHistory(t *testing.T, ctx context.Context, dbURL string, vars map[string]string) string {
	t.Helper()
	var all strings.Builder
	for _, args := range [][]string{{"export"}, {"sessions", "ls", "--json"}, {"requests", "show", "req-0"}} {
		var out, errOut bytes.Buffer
		if code := runWithInput(ctx, append(args, databaseFlag(dbURL)...), func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		all.WriteString(out.String())
	}
	return all.String()
}

// `history redact` masks, in everything a history recorded before
// 2026-12-05 keeps, every configured account's secrets and the values
// given on standard input: read back, the history is what it was with
// [REDACTED] for each, byte for byte, and a run again changes nothing. It
// never prints a secret.
func TestHistoryRedactMasksEveryAccountsSecrets(t *testing.T) {
	storetest.Each(t, testHistoryRedactMasksEveryAccountsSecrets)
}

func testHistoryRedactMasksEveryAccountsSecrets(t *testing.T, dbURL string) {
	ctx := context.Background()
	seedSecretHistory(t, dbURL)
	vars := historyRedactEnv(t)
	before := readHistory(t, ctx, dbURL, vars)
	for _, s := range historySecrets() {
		if !strings.Contains(before, s) {
			t.Fatalf("the history read holds no %q before", s)
		}
	}
	run := func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(ctx, append(args, databaseFlag(dbURL)...), func(k string) string { return vars[k] }, strings.NewReader(stdin), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run(givenSecret+"\n", "history", "redact")
	if code != 0 {
		t.Fatalf("history redact: exit %d: %s %s", code, out, errOut)
	}
	if !strings.HasPrefix(out, "read 9 calls and rewrote 8 whose bodies held a secret; rewrote the first message of 1 session, 2 conversation items or metadata and 0 failures' messages or failed attempts") {
		t.Errorf("history redact said %q", out)
	}
	for _, s := range historySecrets() {
		if strings.Contains(out+errOut, s) {
			t.Errorf("history redact printed a secret: %q %q", out, errOut)
		}
	}
	after := readHistory(t, ctx, dbURL, vars)
	want := before
	for _, s := range historySecrets() {
		want = strings.ReplaceAll(want, s, "[REDACTED]")
	}
	if after != want {
		t.Errorf("read back after:\n%s\nwant:\n%s", after, want)
	}

	// It read the accounts without saying it has this environment's: no
	// server has env@example.com.
	recs, err := storetest.Open(t, dbURL).Accounts(ctx, qp.DefaultUpstream)
	if err != nil || len(recs) != 1 || recs[0].ID != "stored@example.com" {
		t.Errorf("accounts after history redact: %v %+v, want the stored one alone", err, recs)
	}

	code, out, errOut = run(givenSecret+"\n", "history", "redact", "--json")
	if code != 0 || !strings.Contains(out, `"rewritten": 0`) || !strings.Contains(out, `"calls": 9`) {
		t.Errorf("a run again: exit %d, %s %s", code, out, errOut)
	}
	if again := readHistory(t, ctx, dbURL, vars); again != want {
		t.Errorf("a run again changed the history")
	}
}

// A value that cannot be masked safely, an empty line or no database is
// refused with what is wrong (never the value), and nothing changes.
func TestHistoryRedactRefusesBadInput(t *testing.T) {
	storetest.Each(t, testHistoryRedactRefusesBadInput)
}

func testHistoryRedactRefusesBadInput(t *testing.T, dbURL string) {
	ctx := context.Background()
	seedSecretHistory(t, dbURL)
	vars := historyRedactEnv(t)
	before := readHistory(t, ctx, dbURL, vars)
	for _, c := range []struct{ stdin, want string }{
		{givenSecret + "\n\n", "line 2 of standard input is empty"},
		{givenSecret + "\n   \n", "line 2 of standard input is empty"},
		{"abcde\n" + givenSecret + "\n", "line 1 of standard input is 5 bytes long: a value shorter than 6 would mask ordinary words"},
	} {
		var out, errOut bytes.Buffer
		code := runWithInput(ctx, append([]string{"history", "redact"}, databaseFlag(dbURL)...), func(k string) string { return vars[k] }, strings.NewReader(c.stdin), &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), c.want) || !strings.Contains(errOut.String(), "nothing was changed") {
			t.Errorf("stdin %q: exit %d, %q, want 1 and %q", c.stdin, code, errOut.String(), c.want)
		}
		if strings.Contains(out.String()+errOut.String(), givenSecret) || strings.Contains(errOut.String(), "abcde") {
			t.Errorf("stdin %q: the value was printed: %q", c.stdin, errOut.String())
		}
	}
	if after := readHistory(t, ctx, dbURL, vars); after != before {
		t.Errorf("a refused run changed the history")
	}

	missing := filepath.Join(t.TempDir(), "missing.db")
	var out, errOut bytes.Buffer
	code := runWithInput(ctx, []string{"history", "redact", "--database-path", missing}, func(k string) string { return vars[k] }, strings.NewReader(givenSecret+"\n"), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "no database at "+missing) {
		t.Errorf("no database: exit %d, %q", code, errOut.String())
	}
	if m, _ := filepath.Glob(missing + "*"); len(m) != 0 {
		t.Errorf("a refused run made %v", m)
	}
}

// A value given on standard input is masked where a body holds it written
// in ASCII alone (every other character \u-escaped, as Python's json.dumps
// writes a body) as where it holds its characters. Until 2026-12-06 the
// escaped form was left.
func TestHistoryRedactMasksAValueWrittenInASCII(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		const secret, escaped = "sécrét-Esc-R2", `s\u00e9cr\u00e9t-Esc-R2`
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		if err := storetest.Open(t, dbURL).WriteExchanges(ctx, []qp.Exchange{{
			Request: qp.Request{RequestID: "req-ascii", Timestamp: at, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max",
				OpenAIRequest: []byte(`{"messages":[{"role":"user","content":"my key is ` + escaped + `"}]}`)},
			Response: qp.Response{ResponseID: "resp-ascii", Timestamp: at.Add(time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
				OpenAIResponse: []byte(`{"ok":"` + secret + `"}`)},
		}}); err != nil {
			t.Fatal(err)
		}
		vars := historyRedactEnv(t)
		var out, errOut bytes.Buffer
		if code := runWithInput(ctx, append([]string{"history", "redact"}, databaseFlag(dbURL)...), func(k string) string { return vars[k] },
			strings.NewReader(secret+"\n"), &out, &errOut); code != 0 {
			t.Fatalf("history redact: exit %d: %s %s", code, out.String(), errOut.String())
		}
		out.Reset()
		if code := runWithInput(ctx, append([]string{"export"}, databaseFlag(dbURL)...), func(k string) string { return vars[k] },
			strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("export: exit %d: %s", code, errOut.String())
		}
		if s := out.String(); strings.Contains(s, secret) || strings.Contains(s, escaped) || strings.Count(s, "[REDACTED]") != 2 {
			t.Errorf("the export after history redact: %s", s)
		}
	})
}
