package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
)

// A coding agent working in the proxy's own directory reads its .env into
// a tool's result or a message: the login token and a cookie of the pasted
// account, and the token and password of another configured account. Qwen
// is sent the message as the client wrote it (the model answers it, here
// quoting it back), but no record keeps any of those secrets, whichever
// account served the call: not the call's request and response bodies, not
// the history API, an export, the session's first message, or a
// conversation's items.
func TestAnAccountsSecretsAClientSendsAreMaskedInTheRecord(t *testing.T) {
	const cookieValue = "CookieSecretXYZ987"
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: bob, Password: bobPassword}}, func(c *config.Config) {
		c.QwenCookies = loginCookieForSecrets + "; ssxmod_itna=" + cookieValue
	})
	pastedToken := strings.TrimPrefix(loginCookieForSecrets, "token=")
	// Two calls, the accounts taken in turn: the one not pasted is bob's,
	// signed in, whose token the simulator saw.
	for range 2 {
		if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hello"}]}`, nil); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	bobToken := ""
	for _, c := range e.sim.Calls() {
		r := http.Request{Header: c.Header}
		if k, err := r.Cookie("token"); err == nil && k.Value != pastedToken {
			bobToken = k.Value
		}
	}
	if bobToken == "" {
		t.Fatal("no call was served by bob")
	}
	secrets := []string{pastedToken, cookieValue, bobToken, bobPassword}
	// The model quotes the first 400 characters: the pasted token, last,
	// may be cut from its quote.
	said := "bob " + bobToken + " QWEN_ACCOUNTS=" + bob + ":" + bobPassword +
		" .env: ssxmod_itna=" + cookieValue + "; token=" + pastedToken
	body, _ := json.Marshal(map[string]any{"messages": []map[string]string{{"role": "user", "content": said}}})
	resp, answer := chatCall(t, e, string(body), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, answer)
	}
	id := resp.Header.Get("X-Request-Id")
	// What went to Qwen is what the client wrote, and the model's answer
	// (the simulator's quotes it) reaches the client as it was given.
	calls := e.sim.Calls()
	sent := string(calls[len(calls)-1].Body)
	for _, secret := range secrets {
		if !strings.Contains(sent, secret) {
			t.Errorf("Qwen was not sent %q as the client wrote it: %s", secret, sent)
		}
		if !strings.Contains(answer, secret) && secret != pastedToken {
			t.Errorf("the client's answer lacks %q, the model's quote of it: %s", secret, answer)
		}
	}

	conv := `{"items":[{"type":"message","role":"user","content":` + mustJSON(said) + `}]}`
	var c convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", conv, &c); status != 200 {
		t.Fatalf("create conversation: %d %s", status, b)
	}
	_, items := convCall(t, e, "GET", "/v1/conversations/"+c.ID+"/items", "", "", nil)

	e.sync()
	var recorded *row
	for _, r := range e.rows() {
		if r.RequestID == id {
			recorded = &r
		}
	}
	if recorded == nil {
		t.Fatalf("call %s not recorded", id)
	}
	for name, text := range map[string]string{
		"the recorded request":        recorded.OpenAIRequest.String,
		"the recorded Qwen request":   recorded.QwenRequest.String,
		"the recorded answer":         recorded.OpenAIResponse.String,
		"the recorded Qwen answer":    recorded.QwenResponse.String,
		"the history API's request":   fetch(t, e, "/v1/requests/"+id),
		"the history API's answer":    fetch(t, e, "/v1/requests/"+id+"/response"),
		"the export":                  fetch(t, e, "/v1/export?format=jsonl"),
		"the session's first message": fetch(t, e, "/v1/sessions/"+resp.Header.Get("X-Session-Id")),
		"the conversation's items":    items,
	} {
		if !strings.Contains(text, "[REDACTED]") {
			t.Errorf("%s shows nothing masked: %.600s", name, text)
		}
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds %q: %.600s", name, secret, text)
			}
		}
	}
}

// loginCookieForSecrets is a pasted login token the simulator accepts
// (qwensim.LoginCookie's form) that is its own: the simulator does not
// hand it to bob.
const loginCookieForSecrets = "token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6InBhc3RlZCIsImV4cCI6NDEwMjQ0NDgwMH0.cGFzdGVkLXNpZw"
