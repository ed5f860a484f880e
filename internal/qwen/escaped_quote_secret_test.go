package qwen

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A refusal whose JSON writer escapes a quote as \u0022 (.NET's
// System.Text.Json does by default, as it does ', &, <, > and +) decodes to
// the secret itself: the masks, run on the body as sent, know the secret
// only in the escapes they list, and the error's message — which the client
// is told — held the account's password and the call's own secret whole,
// where the call's record (which masks the decoded message again) did not.
func TestARefusalEscapingAQuoteAsUnicodeHoldsNoSecret(t *testing.T) {
	const password = `Pw"q\z9Secret!` // the account's: never sent, never to be told
	const secret = `pa"ss\word-1234`  // the client's, hidden from its record
	esc := func(v string) string {
		return strings.NewReplacer(`\`, `\\`, `"`, `\u0022`).Replace(v)
	}
	details := `bad login: ` + esc(password) + ` for ` + esc(secret)
	refusal := `{"success":false,"data":{"code":"Bad_Request","details":"` + details + `"}}`
	bare := `{"detail":"` + details + `"}`
	for _, tc := range []struct {
		name string
		send func(w http.ResponseWriter)
	}{
		{"HTTP 400", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, refusal)
		}},
		{"an envelope in an HTTP 200", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Actual-Status-Code", "400")
			io.WriteString(w, refusal)
		}},
		{"a stream's event", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: "+refusal+"\n\n")
		}},
		{"a stream's bare detail", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: "+bare+"\n\n")
		}},
	} {
		err := refusedCompletion(tc.send, []string{password}, secret)
		if err == nil {
			t.Fatalf("%s: no failure", tc.name)
		}
		msg := err.Error()
		for _, piece := range []string{"z9Secret", "word-1234"} {
			if strings.Contains(msg, piece) {
				t.Errorf("%s: the failure holds %q of a secret: %s", tc.name, piece, msg)
			}
		}
		if !strings.Contains(msg, "bad login") {
			t.Errorf("%s: the refusal's text is not passed on: %s", tc.name, msg)
		}
	}
}
