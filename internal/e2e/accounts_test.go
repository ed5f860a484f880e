package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	qp "qwenproxy"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

const (
	alice, alicePassword = "alice@example.com", "al1ce:pass,word"
	bob, bobPassword     = "bob@example.com", "b0b-secret-password"
	testSecretKey        = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
)

// startAccounts runs a proxy whose only credentials are the given
// accounts (no pasted cookie), in front of a simulator that knows alice and
// bob before the proxy signs in.
func startAccounts(t *testing.T, backend string, logins []accounts.Login, edit func(*config.Config)) *env {
	t.Helper()
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	registerAll(sim)
	e := startOnWith(t, backend, qwensim.Options{}, func(c *config.Config) {
		c.QwenToken, c.QwenCookies, c.QwenAccounts, c.QwenBaseURL = "", "", logins, sim.URL
		if edit != nil {
			edit(c)
		}
	})
	e.sim = sim
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(e.logs())
		}
	})
	return e
}

func registerAll(sim *qwensim.Server) {
	sim.AddAccount(alice, alicePassword)
	sim.AddAccount(bob, bobPassword)
}

// accountOf is the account recorded for the call with the response's X-Request-Id.
func (e *env) accountOf(requestID string) string {
	e.t.Helper()
	var account string
	q := `SELECT COALESCE(account, '') FROM requests WHERE request_id = $1`
	if e.cfg.DatabaseURL == "" {
		q = strings.Replace(q, "$1", "?", 1)
	}
	if err := e.db().QueryRow(q, requestID).Scan(&account); err != nil {
		e.t.Fatal(err)
	}
	return account
}

// chatCall makes one chat call with the raw HTTP client and returns the
// response and its body.
func chatCall(t *testing.T, e *env, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	resp := postJSON(t, e, "/v1/chat/completions", body, header)
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func healthAccounts(t *testing.T, e *env) map[string]accounts.Status {
	t.Helper()
	resp, err := http.Get(e.app.URL() + "/health/detailed")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Credentials struct {
			Accounts []accounts.Status `json:"accounts"`
		} `json:"credentials"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	out := map[string]accounts.Status{}
	for _, a := range h.Credentials.Accounts {
		out[a.ID] = a
	}
	return out
}

func TestAccountSignsInAndServesTheCall(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, func(c *config.Config) { c.QwenWebVersion = "0.4.2" })
	resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hello"}]}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if n := e.sim.SignIns(alice); n != 1 {
		t.Fatalf("%d sign-ins", n)
	}
	// The sign-in speaks as the configured web client (it sent the default
	// version whatever QWEN_WEB_VERSION said).
	for _, c := range e.sim.Calls() {
		if c.Endpoint == qwensim.EndpointSignIn && c.Header.Get("Version") != e.cfg.QwenWebVersion {
			t.Fatalf("the sign-in's Version %q, want QWEN_WEB_VERSION's %q", c.Header.Get("Version"), e.cfg.QwenWebVersion)
		}
	}
	if got := e.accountOf(resp.Header.Get("X-Request-Id")); got != alice {
		t.Fatalf("recorded account %q", got)
	}
	st := healthAccounts(t, e)[alice]
	if !st.Usable || !st.SignedIn || st.TokenExpiresAt == nil || st.Calls != 1 {
		t.Fatalf("health %+v", st)
	}
}

func TestExpiredTokenIsRefreshedWithinTheCall(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, nil)
	c := &conversation{t: t, e: e}
	c.say("My name is Ada.")
	chats := e.sim.Chats()
	e.sim.ExpireTokens(alice) // Qwen now answers 401 "Token has expired"
	answer := c.say("What is my name?")
	if !strings.Contains(answer, "Ada") || e.sim.SignIns(alice) != 2 || e.sim.Chats() != chats {
		t.Fatalf("answer %q, %d sign-ins, %d chats (was %d)", answer, e.sim.SignIns(alice), e.sim.Chats(), chats)
	}
	rows := e.rows()
	if last := rows[len(rows)-1]; last.HTTPStatus != 200 || last.Status != "success" {
		t.Fatalf("the refreshed call was recorded as %+v", last)
	}
	// A token the proxy replaced by itself is no rejected credential.
	if logs := e.logs(); strings.Contains(logs, "kind=auth") || strings.Contains(logs, "Cookie") || strings.Contains(logs, "level=WARN") ||
		!strings.Contains(logs, "signed in again") {
		t.Fatalf("the log of a refreshed token:\n%s", logs)
	}
}

// A token Qwen refuses, whose fresh sign-in meets the firewall, tells the
// client what happened — the firewall (502), not "Qwen rejected the
// credentials" (the 401 the expired token got, which no sign-in confirmed)
// — and leaves the account cooling down, not refused.
func TestAFailedReSignInIsTheFailureTheClientIsTold(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, nil)
	if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hello"}]}`, nil); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	e.sim.ExpireTokens(alice)
	e.sim.FailSignIns(alice, 1)
	resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"again"}]}`, nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, `"upstream_firewall"`) {
		t.Fatalf("the call whose re-sign-in met the firewall: %d %s", resp.StatusCode, body)
	}
	if st := healthAccounts(t, e)[alice]; st.State != "cooling_down" {
		t.Fatalf("the account after a firewall at re-sign-in: %+v", st)
	}
}

func TestWrongPasswordIsRejectedAndNeverRetried(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: "not-the-password"}}, nil)
	for i := range 2 {
		resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}]}`, nil)
		if resp.StatusCode != 401 || !strings.Contains(body, "upstream_credentials_rejected") || !strings.Contains(body, "e-mail and password") || strings.Contains(body, "Cookie") {
			t.Fatalf("call %d: %d %s", i, resp.StatusCode, body)
		}
	}
	signIns := 0
	for _, c := range e.sim.Calls() {
		if c.Endpoint == qwensim.EndpointSignIn {
			signIns++
		}
	}
	if signIns != 1 {
		t.Fatalf("a refused password was tried %d times", signIns)
	}
	if st := healthAccounts(t, e)[alice]; st.State != accounts.StateAuthFailed || st.Usable {
		t.Fatalf("health %+v", st)
	}
	// One warning, as the README says (there were two: the sign-in's and
	// the refusal's), never the password.
	if logs := e.logs(); strings.Count(logs, "level=WARN") != 1 || !strings.Contains(logs, "credentials rejected") || strings.Contains(logs, "not-the-password") ||
		strings.Contains(logs, accounts.HashPassword("not-the-password")) {
		t.Fatalf("the log misses the failure, warns more than once or shows the password:\n%s", logs)
	}
	if logs := e.logs(); !strings.Contains(logs, "e-mail and password") || strings.Contains(logs, "Cookie") {
		t.Fatalf("the advice for a refused password:\n%s", logs)
	}
	if resp, err := http.Get(e.app.URL() + "/health/ready"); err != nil || resp.StatusCode != 503 {
		t.Fatalf("ready with no usable account: %v %v", resp.StatusCode, err)
	}
}

func TestRateLimitedAccountIsPassedOver(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}, nil)
	e.sim.RateLimit(alice, 3)
	for i := range 3 {
		resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"call `+string(rune('a'+i))+`"}]}`, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: %d %s", i, resp.StatusCode, body)
		}
		if got := e.accountOf(resp.Header.Get("X-Request-Id")); got != bob {
			t.Fatalf("call %d served by %q", i, got)
		}
	}
	st := healthAccounts(t, e)[alice]
	if st.State != accounts.StateRateLimited || st.CooldownUntil == nil ||
		st.CooldownUntil.Before(time.Now().Add(170*time.Minute)) || st.CooldownUntil.After(time.Now().Add(3*time.Hour)) {
		t.Fatalf("alice %+v", st)
	}
	// Calls by account, and the account filter, in the statistics.
	var stats struct {
		ByAccount []struct {
			Account        string `json:"account"`
			TotalResponses int    `json:"total_responses"`
		} `json:"by_account"`
	}
	if err := json.Unmarshal([]byte(fetch(t, e, "/v1/stats")), &stats); err != nil {
		t.Fatal(err)
	}
	if len(stats.ByAccount) != 1 || stats.ByAccount[0].Account != bob || stats.ByAccount[0].TotalResponses != 3 {
		t.Fatalf("by_account %+v", stats.ByAccount)
	}
	if got := list(t, e, "/v1/requests?account="+alice); len(got) != 0 {
		t.Fatalf("%d calls of alice", len(got))
	}
	if got := list(t, e, "/v1/requests?account="+bob); len(got) != 3 {
		t.Fatalf("%d calls of bob", len(got))
	}
}

func TestConversationMovesToAnotherAccountWithItsHistory(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}, nil)
	c := &conversation{t: t, e: e, msgs: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief.")}}
	c.say("My favourite colour is vermilion.")
	first := e.lastRow()
	owner := e.sim.ChatAccount(first.ChatID)
	other := map[string]string{alice: bob, bob: alice}[owner]
	if owner == "" {
		t.Fatalf("chat %s has no owner", first.ChatID)
	}
	e.sim.RateLimit(owner, 5) // the conversation's account runs out mid-conversation
	answer := c.say("Which colour did I name?")
	second := e.lastRow()
	if second.Status != "success" || second.ChatID == first.ChatID || e.sim.ChatAccount(second.ChatID) != other {
		t.Fatalf("second turn %+v on %s", second, e.sim.ChatAccount(second.ChatID))
	}
	if !strings.Contains(answer, "vermilion") || !strings.Contains(answer, "Be brief.") {
		t.Fatalf("the history was not replayed into the new chat: %q", answer)
	}
	if got := e.accountOf(second.RequestID); got != other {
		t.Fatalf("second turn recorded on %q", got)
	}
	if _, sess := getJSON(t, e, "GET", "/v1/sessions/"+second.SessionID); sess["account"] != other {
		t.Fatalf("session shows account %v, want %s", sess["account"], other)
	}
	// The session now lives on the other account: the third turn continues there.
	c.say("And again?")
	if third := e.lastRow(); third.ChatID != second.ChatID {
		t.Fatalf("third turn left the moved chat: %s vs %s", third.ChatID, second.ChatID)
	}
}

func TestAllAccountsRateLimitedGive429WithRetryAfter(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}, nil)
	e.sim.RateLimit(alice, 2)
	e.sim.RateLimit(bob, 3)
	for i := range 2 { // the first call meets both limits, the second knows them already
		resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}]}`, nil)
		if resp.StatusCode != 429 || !strings.Contains(body, `"code":"insufficient_quota"`) {
			t.Fatalf("call %d: %d %s", i, resp.StatusCode, body)
		}
		retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if retry < 7000 || retry > 7200 {
			t.Fatalf("call %d: Retry-After %d (want about 7200: the first account back in 2 hours)", i, retry)
		}
	}
	if resp, err := http.Get(e.app.URL() + "/health/ready"); err != nil || resp.StatusCode != 503 {
		t.Fatalf("ready with every account rate-limited: %v %v", resp.StatusCode, err)
	}
}

func TestStoredAccountIsSignedInAndItsSecretsStayHidden(t *testing.T) {
	sealer, err := accounts.NewSealer(testSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	e := startAccounts(t, "sqlite", nil, func(c *config.Config) { c.SecretKey = sealer })
	sealed, err := sealer.Seal(alicePassword, alice)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := e.app.Store().PutAccount(ctxT(t), qp.AccountRecord{ID: alice, Source: qp.AccountStored, PasswordSealed: sealed, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	e.syncAccounts() // what the running server does every few seconds, now
	resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"stored account"}]}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if got := e.accountOf(resp.Header.Get("X-Request-Id")); got != alice {
		t.Fatalf("served by %q", got)
	}
	export := fetch(t, e, "/v1/export?format=jsonl")
	health := fetch(t, e, "/health/detailed")
	metrics := fetch(t, e, "/metrics")
	// Removed (accounts rm), it is out of use at the next exchange.
	if err := e.app.Store().DeleteAccount(ctxT(t), alice, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.syncAccounts()
	if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"after rm"}]}`, nil); resp.StatusCode != 503 || !strings.Contains(body, "credentials_missing") {
		t.Fatalf("after rm: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(metrics, `qwenproxy_account_usable{account="`+alice+`"} 1`) {
		t.Fatalf("metrics lack the account:\n%s", metrics)
	}
	e.stop()
	raw, err := os.ReadFile(e.cfg.DatabasePath)
	if err != nil {
		t.Fatal(err)
	}
	if wal, err := os.ReadFile(e.cfg.DatabasePath + "-wal"); err == nil {
		raw = append(raw, wal...)
	}
	if !bytes.Contains(raw, []byte(alice)) {
		t.Fatal("the scan below would not find what it looks for: the account is not in the file")
	}
	for name, text := range map[string]string{"database file": string(raw), "export": export, "health": health, "metrics": metrics, "log": e.logs()} {
		for _, secret := range []string{alicePassword, accounts.HashPassword(alicePassword), "token=eyJ", "Bearer eyJ"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds a secret (%q…)", name, secret[:6])
			}
		}
	}
}

// TestInstancesShareAccountState runs two proxies on one PostgreSQL
// database in front of one simulator: each account signs in once for both,
// and a rate limit one instance meets spares the other.
func TestInstancesShareAccountState(t *testing.T) {
	sealer, err := accounts.NewSealer(testSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	logins := []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}
	first := startAccounts(t, "postgres", logins, func(c *config.Config) { c.SecretKey = sealer })
	// Two new conversations: one on each account (the least recently used),
	// each signed in by the time its call is answered.
	for _, text := range []string{"one", "two"} {
		if resp, body := chatCall(t, first, `{"messages":[{"role":"user","content":"`+text+`"}]}`, nil); resp.StatusCode != 200 {
			t.Fatalf("first instance: %d %s", resp.StatusCode, body)
		}
	}
	// The second starts by reading the accounts' state, tokens included.
	second := startOnWith(t, "postgres", qwensim.Options{}, func(c *config.Config) {
		c.QwenToken, c.QwenCookies, c.QwenAccounts, c.QwenBaseURL, c.DatabaseURL = "", "", logins, first.sim.URL, first.cfg.DatabaseURL
		c.SecretKey = sealer
	})
	second.sim = first.sim
	if st := healthAccounts(t, second); !st[alice].SignedIn || !st[bob].SignedIn {
		t.Fatalf("the second instance did not adopt the stored tokens: %+v", st)
	}
	if a, b := first.sim.SignIns(alice), first.sim.SignIns(bob); a != 1 || b != 1 {
		t.Fatalf("sign-ins: alice %d, bob %d (want one each for both instances)", a, b)
	}

	// The first instance meets alice's daily limit...
	first.sim.RateLimit(alice, 4)
	for range 2 {
		if resp, body := chatCall(t, first, `{"messages":[{"role":"user","content":"spread"}]}`, nil); resp.StatusCode != 200 {
			t.Fatalf("first instance: %d %s", resp.StatusCode, body)
		}
	}
	if st := healthAccounts(t, first)[alice]; st.State != accounts.StateRateLimited {
		t.Fatalf("first instance never met alice's limit: %+v", st)
	}
	// ...and the second learns it (at its next exchange with the database,
	// run here at once) without calling alice.
	first.syncAccounts()
	second.syncAccounts()
	if st := healthAccounts(t, second)[alice]; st.State != accounts.StateRateLimited {
		t.Fatalf("the second instance does not know alice is rate-limited: %+v", st)
	}
	before := len(first.sim.Calls())
	for range 2 {
		resp, body := chatCall(t, second, `{"messages":[{"role":"user","content":"spared"}]}`, nil)
		if resp.StatusCode != 200 || second.accountOf(resp.Header.Get("X-Request-Id")) != bob {
			t.Fatalf("second instance: %d %s", resp.StatusCode, body)
		}
	}
	for _, c := range first.sim.Calls()[before:] {
		if c.Endpoint == qwensim.EndpointCompletions && first.sim.ChatAccount(c.ChatID) == alice {
			t.Fatal("the second instance still sent a completion as alice")
		}
	}
}

// syncAccounts runs the proxy's exchange of account state with the
// database now, rather than at its next tick.
func (e *env) syncAccounts() {
	e.t.Helper()
	if err := e.app.SyncAccounts(ctxT(e.t.(*testing.T))); err != nil {
		e.t.Fatal(err)
	}
}

func TestPastedCookieIsOneMoreAccount(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, func(c *config.Config) {
		c.QwenCookies = qwensim.LoginCookie()
	})
	seen := map[string]int{}
	for _, text := range []string{"one", "two", "three", "four"} {
		resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"`+text+`"}]}`, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		seen[e.accountOf(resp.Header.Get("X-Request-Id"))]++
	}
	if seen[alice] != 2 || seen[accounts.CookieID] != 2 {
		t.Fatalf("new conversations by account: %v (want them spread evenly)", seen)
	}
	// The next new conversation goes to alice, the one after to the cookie.
	if resp, _ := chatCall(t, e, `{"messages":[{"role":"user","content":"five"}]}`, nil); e.accountOf(resp.Header.Get("X-Request-Id")) != alice {
		t.Fatal("the fifth conversation did not go to alice")
	}
	// Qwen refuses the cookie: it cannot sign in again, so it is out until
	// it changes, and alice takes its call and every later one.
	e.sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointNewChat, Status: 401})
	for _, text := range []string{"six", "seven"} {
		resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"`+text+`"}]}`, nil)
		if resp.StatusCode != 200 || e.accountOf(resp.Header.Get("X-Request-Id")) != alice {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	if st := healthAccounts(t, e)[accounts.CookieID]; st.State != accounts.StateAuthFailed {
		t.Fatalf("cookie %+v", st)
	}
}

// TestAFailingAccountIsNotRetriedWhileAnotherIsFree: a 5xx on one account
// moves the call to another at once instead of retrying the same account.
func TestAFailingAccountIsNotRetriedWhileAnotherIsFree(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}, nil)
	e.sim.Inject(qwensim.Fault{Status: 502}) // the next completion, on alice (least recently used)
	resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	completions := 0
	for _, c := range e.sim.Calls() {
		if c.Endpoint == qwensim.EndpointCompletions {
			completions++
		}
	}
	if got := e.accountOf(resp.Header.Get("X-Request-Id")); got != bob || completions != 2 {
		t.Fatalf("served by %q after %d completions (want bob, after alice's one failure)", got, completions)
	}
	if st := healthAccounts(t, e)[alice]; st.State != accounts.StateCoolingDown || st.FailureClass != "server" {
		t.Fatalf("alice %+v", st)
	}
}

// TestEveryAccountRestingIsRecordedAsAccountsUnavailable: with its only
// account cooling down after a 5xx, a call is refused with 503
// accounts_unavailable and recorded under the same name — nothing was asked
// of Qwen for it, so upstream_error would count it among Qwen's failures.
func TestEveryAccountRestingIsRecordedAsAccountsUnavailable(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, func(c *config.Config) { c.MaxRetries = 0 })
	e.sim.Inject(qwensim.Fault{Status: 502})
	if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}]}`, nil); resp.StatusCode != 502 {
		t.Fatalf("first call: %d %s", resp.StatusCode, body)
	}
	before := len(e.sim.Calls())
	resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi again"}]}`, nil)
	if resp.StatusCode != 503 || !strings.Contains(body, `"accounts_unavailable"`) || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("with the only account resting: %d %s (Retry-After %q)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if after := len(e.sim.Calls()); after != before {
		t.Fatalf("Qwen was asked %d times for a call no account could take", after-before)
	}
	e.app.Recorder().Sync(ctxT(t))
	last := e.lastRow()
	if last.RequestID != resp.Header.Get("X-Request-Id") || last.HTTPStatus != 503 || last.ErrorType != "accounts_unavailable" {
		t.Fatalf("recorded as %d %q (want 503 accounts_unavailable): %+v", last.HTTPStatus, last.ErrorType, last)
	}
}

// A non-streamed answer that Qwen breaks off mid-way with an account's
// failure (its "please slow down", qwen-wire.md §5) has sent the client
// nothing: the call moves to another account, as one refused before the
// answer started does (README, Accounts: "before any byte reaches the
// client"). It was answered 429 while bob stood free.
func TestANonStreamedAnswerBrokenOffMovesToAnotherAccount(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}, nil)
	e.sim.Inject(qwensim.Fault{ErrorAfter: 2}) // the next completion, on alice (least recently used)
	resp, body := chatCall(t, e, `{"reasoning_effort":"high","messages":[{"role":"user","content":"one two three four"}]}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `You said: \"one two three four\"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	// The broken answer's reasoning is not the client's either.
	if n := strings.Count(body, "Considering the request"); n != 1 {
		t.Fatalf("the reasoning comes %d times: %s", n, body)
	}
	if got := e.accountOf(resp.Header.Get("X-Request-Id")); got != bob {
		t.Fatalf("served by %q, want bob after alice's failure", got)
	}
	if st := healthAccounts(t, e)[alice]; st.State != accounts.StateRateLimited {
		t.Fatalf("alice %+v", st)
	}
}

// TestAPasswordChangedMidConversationMovesItWithItsHistory: the owner of
// the conversation's account changes its password on Qwen's site (its
// token is refused from then on, and so is the old password). The next
// turn, on the other instance, opens a new chat on another account with the
// history replayed, and the client sees a normal answer; the refused
// password is tried once for both instances, and the turn after stays on
// the new chat.
func TestAPasswordChangedMidConversationMovesItWithItsHistory(t *testing.T) {
	sealer, err := accounts.NewSealer(testSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	logins := []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}
	first := startAccounts(t, "postgres", logins, func(c *config.Config) { c.SecretKey = sealer })
	second := startOnWith(t, "postgres", qwensim.Options{}, func(c *config.Config) {
		c.QwenToken, c.QwenCookies, c.QwenAccounts, c.QwenBaseURL, c.DatabaseURL = "", "", logins, first.sim.URL, first.cfg.DatabaseURL
		c.SecretKey = sealer
	})
	sim := first.sim
	c := &conversation{t: t, e: first, msgs: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief.")}}
	c.say("My favourite colour is vermilion.")
	firstChat := first.lastRow().ChatID
	owner := sim.ChatAccount(firstChat)
	other := map[string]string{alice: bob, bob: alice}[owner]
	if owner == "" {
		t.Fatalf("chat %s has no owner", firstChat)
	}
	sim.ChangePassword(owner, "a new password")
	signInCalls := func() int {
		n := 0
		for _, call := range sim.Calls() {
			if call.Endpoint == qwensim.EndpointSignIn {
				n++
			}
		}
		return n
	}
	before := signInCalls()
	c.e = second
	if answer := c.say("Which colour did I name?"); !strings.Contains(answer, "vermilion") {
		t.Fatalf("the history was not replayed into the new chat: %q", answer)
	}
	moved := second.lastRow()
	if sim.ChatAccount(moved.ChatID) != other || second.accountOf(moved.RequestID) != other {
		t.Fatalf("second turn on %s, recorded as %s", sim.ChatAccount(moved.ChatID), second.accountOf(moved.RequestID))
	}
	// The first instance may meet the old token too, on new conversations
	// (the second of them goes to the owner's account unless the refusal
	// has reached it): never a failure, nor a second refused sign-in.
	for _, text := range []string{"a new one", "another"} {
		if resp, body := chatCall(t, first, `{"messages":[{"role":"user","content":"`+text+`"}]}`, nil); resp.StatusCode != 200 {
			t.Fatalf("new conversation: %d %s", resp.StatusCode, body)
		}
	}
	if n := signInCalls() - before; n != 1 {
		t.Fatalf("%d sign-ins after the password change, want 1 (refused, for both instances)", n)
	}
	c.e = first
	c.say("And again?")
	if third := first.lastRow(); third.ChatID != moved.ChatID {
		t.Fatalf("third turn left the moved chat: %s vs %s", third.ChatID, moved.ChatID)
	}
	for _, e := range []*env{first, second} {
		e.syncAccounts()
	}
	for i, e := range []*env{first, second} {
		if st := healthAccounts(t, e)[owner]; st.State != accounts.StateAuthFailed {
			t.Fatalf("instance %d: %s is %+v", i, owner, st)
		}
	}
}

// TestAResponsesConversationMovesWithItsStoredHistory: a Responses API
// conversation continued by previous_response_id resends only its new
// input. When its account runs out of quota, the new chat on another
// account is told the conversation rebuilt from the stored responses of
// the chain; it was told only the new input, and the conversation lost its
// history.
func TestAResponsesConversationMovesWithItsStoredHistory(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}, nil)
	first, _ := answeredResponse(t, e, `{"model":"gpt-5","instructions":"Be brief.","input":"My favourite colour is vermilion."}`)
	second, _ := answeredResponse(t, e, `{"model":"gpt-5","input":[{"role":"user","content":"And my cat is Ada."}],"previous_response_id":"`+first+`"}`)
	owner := e.sim.ChatAccount(e.lastRow().ChatID)
	other := map[string]string{alice: bob, bob: alice}[owner]
	e.sim.RateLimit(owner, 5) // the conversation's account runs out mid-conversation
	third, text := answeredResponse(t, e, `{"model":"gpt-5","instructions":"Be brief.","input":"Which colour and which cat?","previous_response_id":"`+second+`"}`)
	moved := e.lastRow()
	if e.sim.ChatAccount(moved.ChatID) != other {
		t.Fatalf("third turn on %q, want %s", e.sim.ChatAccount(moved.ChatID), other)
	}
	for _, want := range []string{"vermilion", "Ada", "Be brief."} {
		if !strings.Contains(text, want) {
			t.Fatalf("the new chat was not told %q: %q", want, text)
		}
	}
	// The conversation goes on in the new chat, told only what is new.
	if _, text := answeredResponse(t, e, `{"model":"gpt-5","input":"Thanks.","previous_response_id":"`+third+`"}`); !strings.HasPrefix(text, `You said: "Thanks.".`) {
		t.Fatalf("the fourth turn was replayed again: %q", text)
	}
	if fourth := e.lastRow(); fourth.ChatID != moved.ChatID {
		t.Fatalf("fourth turn left the moved chat: %s vs %s", fourth.ChatID, moved.ChatID)
	}
}

// A token Qwen refuses when the turn's image goes up — the first call of a
// continued conversation's turn — is signed in afresh once and the upload
// tried again, as a refused chats/new or completion is: the call answers,
// in the same chat. (The upload's 401 failed the call.)
func TestExpiredTokenIsRefreshedWhenTheTurnsImageGoesUp(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, nil)
	resp, body := chatCall(t, e, `{"model":"qwen3-vl-plus","messages":[{"role":"user","content":"My name is Ada."}]}`, nil)
	var first struct {
		Choices []struct{ Message struct{ Content string } }
	}
	if err := json.Unmarshal([]byte(body), &first); resp.StatusCode != 200 || err != nil || len(first.Choices) != 1 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	chats := e.sim.Chats()
	e.sim.ExpireTokens(alice) // Qwen now answers 401 "Token has expired", to the upload's token request first
	answer, _ := json.Marshal(first.Choices[0].Message.Content)
	resp, body = chatCall(t, e, `{"model":"qwen3-vl-plus","messages":[{"role":"user","content":"My name is Ada."},{"role":"assistant","content":`+string(answer)+`},`+
		`{"role":"user","content":[{"type":"text","text":"What is my name, and what is in the picture?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,`+
		base64.StdEncoding.EncodeToString(testPNG(t))+`"}}]}]}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Ada") {
		t.Fatalf("the turn whose upload met an expired token: %d %s", resp.StatusCode, body)
	}
	if e.sim.SignIns(alice) != 2 || e.sim.Chats() != chats || e.sim.Uploads() != 1 {
		t.Fatalf("%d sign-ins, %d chats (was %d), %d uploads", e.sim.SignIns(alice), e.sim.Chats(), chats, e.sim.Uploads())
	}
	if last := e.lastRow(); last.HTTPStatus != 200 || last.Status != "success" {
		t.Fatalf("the refreshed call was recorded as %+v", last)
	}
}

// A signed-in account whose fresh token Qwen refuses too is told as the
// account's refusal, not the pasted cookie's: the client was told to "copy a
// fresh Cookie header" the proxy does not use. The call ran out of
// accounts, so it is answered as the pool (503: one cooling down, one
// rejected, whose e-mail and password to check).
func TestARefusedSignedInAccountIsNotToldAsACookie(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}, nil)
	// The first account meets the firewall, the second a 401 on its token,
	// then on the fresh one.
	e.sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointNewChat, Firewall: true})
	e.sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointNewChat, Status: 401, Times: 2})
	resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hello"}]}`, nil)
	if resp.StatusCode != 503 || !strings.Contains(body, "accounts_unavailable") || strings.Contains(body, "Cookie") ||
		!strings.Contains(body, "1 rejected by Qwen (check the accounts' e-mail and password)") || strings.Contains(body, alice) || strings.Contains(body, bob) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if e.sim.SignIns(alice)+e.sim.SignIns(bob) != 3 {
		t.Fatalf("%d and %d sign-ins: the refused token was not signed in afresh", e.sim.SignIns(alice), e.sim.SignIns(bob))
	}
}
