package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// TestURLPasswordsAreNotRecorded: a connection string's password — in a
// message's text, in a tool call's arguments — is [REDACTED] wherever the
// call's record holds it (the client's request, the request sent to Qwen,
// both answers, which repeat it) and in the session's name, short ones
// too, the rest of the URL kept; the client's answer gets it as the model
// wrote it. Until 2026-12-06 they were recorded as sent (only an image's URL
// lost its credentials).
func TestURLPasswordsAreNotRecorded(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, backend string) {
		e := startOn(t, backend, nil)
		body := `{"model":"qwen3-max","messages":[` +
			`{"role":"user","content":"connect to postgres://app:Pz9@db.internal/app and mysql://root:r00t-PW-77@10.0.0.2:3306/x"},` +
			`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"fetch",` +
			`"arguments":"{\"url\":\"https://ada:ghp-T0KEN-123@git.example.com/o/r.git\"}"}}]},` +
			`{"role":"tool","tool_call_id":"call_1","content":"cloned https://ada:ghp-T0KEN-123@git.example.com/o/r.git"}],` +
			`"tools":[{"type":"function","function":{"name":"fetch","parameters":{"type":"object","properties":{"url":{"type":"string"}}}}}]}`
		resp := postJSON(t, e, "/v1/chat/completions", body, nil)
		answer, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(answer), "ada:ghp-T0KEN-123@git.example.com") {
			t.Fatalf("the answer: %d %s", resp.StatusCode, answer)
		}
		secrets := []string{":Pz9@", "r00t-PW-77", "ghp-T0KEN-123"}
		row := e.lastRow()
		for part, b := range map[string]string{"openai_request": row.OpenAIRequest.String, "qwen_request": row.QwenRequest.String,
			"openai_response": row.OpenAIResponse.String, "qwen_response": row.QwenResponse.String} {
			for _, secret := range secrets {
				if strings.Contains(b, secret) {
					t.Errorf("the record's %s holds %q: %s", part, secret, around(b, secret))
				}
			}
			if !strings.Contains(b, "https://ada:[REDACTED]@git.example.com/o/r.git") {
				t.Errorf("the record's %s does not keep the URL, its password masked: %s", part, b)
			}
		}
		for part, b := range map[string]string{"openai_request": row.OpenAIRequest.String, "qwen_request": row.QwenRequest.String} {
			if !strings.Contains(b, "postgres://app:[REDACTED]@db.internal/app") || !strings.Contains(b, "mysql://root:[REDACTED]@10.0.0.2:3306/x") {
				t.Errorf("the record's %s: %s", part, b)
			}
		}
		ses := send(t, e, http.MethodGet, "/v1/sessions/"+row.SessionID, "", "", nil)
		sb, _ := io.ReadAll(ses.Body)
		var session struct {
			FirstUserMessage string `json:"first_user_message"`
		}
		if ses.StatusCode != http.StatusOK || json.Unmarshal(sb, &session) != nil {
			t.Fatalf("the session: %d %s", ses.StatusCode, sb)
		}
		if session.FirstUserMessage != "connect to postgres://app:[REDACTED]@db.internal/app and mysql://root:[REDACTED]@10.0.0.2:3306/x" {
			t.Errorf("the session's first message: %q", session.FirstUserMessage)
		}
	})
}

// TestAWordForAURLPasswordIsMaskedInItsURLsAlone: a URL password of
// letters alone — the postgres:postgres of a local database, a "password"
// in an example — is masked in the URLs that hold it, not wherever else
// the record holds the word: an agent's transcript with every "postgres"
// [REDACTED], each postgres:// URL's scheme with it, said nothing more
// of the secret and lost its text. One with a digit or a sign in it is
// distinctive, and masked wherever it stands.
func TestAWordForAURLPasswordIsMaskedInItsURLsAlone(t *testing.T) {
	e := startOn(t, "sqlite", nil)
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":`+
		`"the app uses postgres://postgres:postgres@db:5432/app; the postgres database also has the password hunt3r-22, as in mysql://root:hunt3r-22@db/x"}]}`, nil)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the call: %d", resp.StatusCode)
	}
	e.sync()
	row := e.lastRow()
	b := row.OpenAIRequest.String
	if !strings.Contains(b, "postgres://postgres:[REDACTED]@db:5432/app") || !strings.Contains(b, "the postgres database") {
		t.Errorf("a password of letters alone was masked beyond its URL: %s", b)
	}
	if strings.Contains(b, "hunt3r-22") {
		t.Errorf("a distinctive URL password was left where the text repeats it: %s", around(b, "hunt3r-22"))
	}
}
