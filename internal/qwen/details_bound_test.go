package qwen_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// A refusal's details were the one text of Qwen's taken whole into the
// error (every other is cut to a summary): 300 KB of them went into the
// client's error message, the warn line and the call's record. They are
// classified on the whole text and kept to a summary, cut between
// characters.
func TestARefusalsDetailsAreKeptToASummary(t *testing.T) {
	details := "Internal error " + strings.Repeat("é", 150_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"success":false,"data":{"code":"Bad_Request","details":"` + details + `"}}`))
	}))
	defer srv.Close()
	c := qwen.New(qwen.Config{BaseURL: srv.URL, Credentials: qwen.StaticCredentials{Cookies: qwensim.LoginCookie()}, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.Models(ctx)
	qe, ok := qwen.AsError(err)
	if !ok || !qe.ClientRefused() {
		t.Fatalf("not classified as the refusal it is: %v", err)
	}
	if len(qe.Message) > 1000 || !utf8.ValidString(qe.Message) || !strings.HasPrefix(qe.Message, "Internal error é") {
		t.Fatalf("details of %d bytes (valid UTF-8: %v): %.80q", len(qe.Message), utf8.ValidString(qe.Message), qe.Message)
	}
}
