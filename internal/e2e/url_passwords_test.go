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
