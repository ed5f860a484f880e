package qwen

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/redact"
)

// A client's secret holding a quote and a backslash, which a refusal quotes
// from the client's body — so twice JSON-escaped: ab"c\d reads ab\\\"c\\\\d
// in Qwen's answer — is masked whole by the call's mask (WithCallMask), on
// each path a refusal takes into an error: no piece of it is in the
// error's message, wherever the body held it (a message's text, which no
// secret's name marks, or a member named like one, as a page that is not
// JSON quotes it). Until 2026-12-06 the mask kept that form: the message
// told the secret from its text whole, and from a password member all but
// its beginning.
func TestACallsSecretQuotedTwiceEscapedLeavesNoPiece(t *testing.T) {
	const secret = `pa"ss\word-1234`
	sent, _ := json.Marshal(map[string]any{"messages": []any{map[string]string{"role": "user", "content": "use " + secret}}})
	refusal, _ := json.Marshal(map[string]any{"success": false, "data": map[string]string{"code": "Bad_Request", "details": "cannot read " + string(sent)}})
	// Without Qwen's envelope ({"code":…,"detail":…}, qwen-2026.md §3.6).
	bare, _ := json.Marshal(map[string]string{"code": "Bad_Request", "detail": "cannot read " + string(sent)})
	// A gateway's page, not JSON, quoting a body's member as a JSON string.
	member, _ := json.Marshal(map[string]string{"password": secret})
	page, _ := json.Marshal(string(member))
	page = append([]byte("<html>bad gateway: cannot read "), append(page, "</html>"...)...)
	for _, b := range [][]byte{refusal, bare, page} {
		if !strings.Contains(string(b), `pa\\\"ss\\\\word-1234`) {
			t.Fatalf("the refusal does not quote the secret twice escaped: %s", b)
		}
	}
	for _, tc := range []struct {
		name string
		send func(w http.ResponseWriter)
	}{
		{"a page", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write(page)
		}},
		{"HTTP 400 without an envelope", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write(bare)
		}},
		{"HTTP 500 without an envelope", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write(bare)
		}},
		{"HTTP 400", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write(refusal)
		}},
		{"an envelope in an HTTP 200", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Actual-Status-Code", "400")
			w.Write(refusal)
		}},
		{"a stream's event", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: "+string(refusal)+"\n\n")
		}},
	} {
		err := refusedCompletion(tc.send, nil, secret)
		if err == nil {
			t.Fatalf("%s: no failure", tc.name)
		}
		msg := err.Error()
		for _, piece := range []string{"word-1234", `pa\`, `ss\`} {
			if strings.Contains(msg, piece) {
				t.Errorf("%s: the failure holds %q of the secret: %s", tc.name, piece, msg)
			}
		}
		if !strings.Contains(msg, "cannot read") || !strings.Contains(msg, redact.Placeholder) {
			t.Errorf("%s: the refusal's text is not passed on, masked: %s", tc.name, msg)
		}
	}
}

// refusedCompletion is the error of a completion asked, with the call mask
// of the client's secret and with conceal among the account's secrets, of
// a Qwen that answers it with send.
func refusedCompletion(send func(w http.ResponseWriter), conceal []string, secret string) error {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/models") {
			io.WriteString(w, `{"success":true,"data":{"data":[]}}`)
			return
		}
		send(w)
	}))
	defer srv.Close()
	creds := StaticCredentials{Token: "umid-4242", Cookies: "token=eyJhbGciOiJIUzI1NiJ9.eyJpZCI6ImEiLCJleHAiOjQxMDI0NDQ4MDB9.sig", Conceal: conceal}
	c := New(Config{BaseURL: srv.URL, Credentials: creds, Timeout: 2 * time.Second})
	ctx := WithCallMask(context.Background(), redact.NewKnown("", secret).Bytes)
	req := &CompletionRequest{ChatID: "chat-1", Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}}
	_, _, _, err := c.Complete(ctx, req)
	return err
}
