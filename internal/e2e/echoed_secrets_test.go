package e2e

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// A Qwen refusal that echoes the request it refused (its Authorization
// header, its Cookie header) must not hand the account's token to the
// client, the log or the history: the refusal's text is shown, logged and
// recorded, so it is masked before any of them.
func TestAQwenRefusalEchoingTheTokenLeaksItNowhere(t *testing.T) {
	e := start(t, nil)
	token := strings.TrimPrefix(qwensim.LoginCookie(), "token=") + "-secret-cookie"
	echo := "refused: Authorization: Bearer " + token + "; Cookie: " + e.cfg.QwenCookies + `; body {"password":"pw-digest-secret"}`
	for _, f := range []qwensim.Fault{
		{Envelope: qwensim.CodeBadRequest, Details: echo},                 // a JSON refusal
		{Envelope: qwensim.CodeBadRequest, Details: echo, InStream: true}, // the same as a stream's event
	} {
		e.sim.Inject(f)
		req, _ := http.NewRequestWithContext(ctxT(t), http.MethodPost, e.app.URL()+"/v1/chat/completions",
			strings.NewReader(`{"messages":[{"role":"user","content":"hi"}],"stream":true}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "refused") {
			t.Fatalf("the refusal's text is not shown: %s", body)
		}
		for _, secret := range []string{token, "acw_tc=abc", "pw-digest-secret"} {
			if strings.Contains(string(body), secret) {
				t.Fatalf("the client was answered with %q: %s", secret, body)
			}
		}
	}
	e.sync()
	rows := e.rows()
	if len(rows) != 2 {
		t.Fatalf("%d calls recorded, want 2", len(rows))
	}
	e.stop()
	var stored strings.Builder
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(e.cfg.DatabasePath + suffix)
		stored.Write(b)
	}
	for _, secret := range []string{token, "acw_tc=abc", "pw-digest-secret"} {
		if strings.Contains(e.logs(), secret) {
			t.Errorf("the log has %q:\n%s", secret, e.logs())
		}
		for _, r := range rows {
			if strings.Contains(r.Error+r.OpenAIResponse.String+r.QwenResponse.String, secret) {
				t.Errorf("call %s recorded %q: %s", r.RequestID, secret, r.Error)
			}
		}
		if strings.Contains(stored.String(), secret) {
			t.Errorf("the database file holds %q", secret)
		}
	}
}
