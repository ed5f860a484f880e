package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// An image's wait that is padded with newlines commits the call to HTTP 200
// before Qwen has answered; when Qwen then fails, the client gets the error
// as that 200's body. The record says what the client got — 200, as a broken
// stream's record does — with the failure's type and message. It said 502, a
// status the client never received (and the dashboard showed).
func TestAFailureAfterImagePaddingIsRecordedWithTheStatusSent(t *testing.T) {
	for _, c := range []struct{ path, body string }{
		{"/v1/images/generations", `{"prompt":"failing fox","model":"qwen3-max"}`},
		{"/v1/chat/completions", `{"model":"qwen3-max-image","messages":[{"role":"user","content":"draw a failing fox"}]}`},
		{"/v1/messages", `{"model":"qwen3-max-image","max_tokens":100,"messages":[{"role":"user","content":"draw a failing fox"}]}`},
		{"/v1/responses", `{"model":"qwen3-max-image","input":"draw a failing fox"}`},
	} {
		// A proxy of its own for each: the failing account rests after it.
		e := start(t, func(c *config.Config) {
			c.StreamKeepAlive = 10 * time.Millisecond // padding long before Qwen's failure
			c.MaxRetries = 0
		})
		e.sim.Inject(qwensim.Fault{Delay: 500 * time.Millisecond, Status: http.StatusInternalServerError})
		resp := postJSON(t, e, c.path, c.body, nil)
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		sent := strings.TrimLeft(string(b), "\n")
		if resp.StatusCode != http.StatusOK || len(sent) == len(b) {
			t.Fatalf("%s: want 200, padding, then the error; got %d %q", c.path, resp.StatusCode, b)
		}
		var got struct {
			Error struct{ Message, Type string } `json:"error"`
		}
		if err := json.Unmarshal([]byte(sent), &got); err != nil || got.Error.Message == "" {
			t.Fatalf("%s: the body after the padding is no error envelope (%v): %q", c.path, err, sent)
		}
		r := e.lastRow()
		if r.RequestID != resp.Header.Get("X-Request-Id") {
			t.Fatalf("%s: last record %s, not the call's %s", c.path, r.RequestID, resp.Header.Get("X-Request-Id"))
		}
		if r.HTTPStatus != http.StatusOK || r.Status != "error" || r.ErrorType != "upstream_error" || r.Error != got.Error.Message {
			t.Errorf("%s: record http_status %d, status %q, error_type %q, error %q; want 200, error, upstream_error, %q",
				c.path, r.HTTPStatus, r.Status, r.ErrorType, r.Error, got.Error.Message)
		}
		if !sameJSON(t, json.RawMessage(r.OpenAIResponse.String), sent) {
			t.Errorf("%s: recorded answer %s, the client got %s", c.path, r.OpenAIResponse.String, sent)
		}
	}
}

// A client that leaves a padded wait has had HTTP 200 and newlines: its
// record says 200 with client_disconnect, as a stream left after it opened
// does; 499 is for a client that left before anything was sent. It said
// 499.
func TestAClientLeavingAPaddedImageWaitIsRecordedWithTheStatusSent(t *testing.T) {
	e := start(t, func(c *config.Config) { c.StreamKeepAlive = 10 * time.Millisecond })
	e.sim.Inject(qwensim.Fault{Delay: time.Minute}) // ends with the caller
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.app.URL()+"/v1/images/generations",
		strings.NewReader(`{"prompt":"a fox left waiting","model":"qwen3-max"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 1)
	if _, err := io.ReadFull(resp.Body, first); err != nil || resp.StatusCode != http.StatusOK || first[0] != '\n' {
		t.Fatalf("want 200 and a newline of padding, got %d %q %v", resp.StatusCode, first, err)
	}
	cancel() // the client leaves during the wait
	e.sync() // waits for the call to end
	r := e.lastRow()
	if r.RequestID != resp.Header.Get("X-Request-Id") || r.HTTPStatus != http.StatusOK || r.ErrorType != "client_disconnect" {
		t.Fatalf("record %s: http_status %d, error_type %q; want 200, client_disconnect", r.RequestID, r.HTTPStatus, r.ErrorType)
	}
}
