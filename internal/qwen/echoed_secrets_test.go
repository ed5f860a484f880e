package qwen

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// A failure whose details echo the request's headers as Python's repr (the
// Cookie header first, the token, the cookies Qwen set, the bx-umidtoken)
// or name the account's password or its digest passes none of them on, on
// any path an answer of Qwen's takes into an error: a chat's creation, a
// completion refused before its stream and as its stream's event, a chat's
// deletion.
func TestFailuresEchoingTheRequestHoldNoSecretSent(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6ImEiLCJleHAiOjQxMDI0NDQ4MDB9.SIGsecretJWT"
	creds := StaticCredentials{Token: "umidSECRET4242", Cookies: "token=" + jwt + "; acw_tc=ACWsecret777; ssxmod_itna=ITNA/secret+888=; cna=ab",
		Conceal: []string{"pw-SECRET-1", "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"}}
	secrets := []string{"SIGsecretJWT", "umidSECRET4242", "ACWsecret777", "ITNA/secret+888=", "ITNA\\/secret", "cna=ab", "pw-SECRET-1", "5e884898da"}
	echo := func(r *http.Request) []byte {
		names := make([]string, 0, len(r.Header))
		for k := range r.Header {
			names = append(names, k)
		}
		slices.Sort(names)
		var b strings.Builder
		b.WriteString("signed in with pw-SECRET-1 (5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8); ")
		b.WriteString("headers={'Cookie': '" + r.Header.Get("Cookie") + "'")
		for _, k := range names {
			b.WriteString(", '" + k + "': '" + strings.Join(r.Header[k], ", ") + "'")
		}
		b.WriteString("}")
		out, _ := json.Marshal(map[string]any{"success": false, "data": map[string]any{"code": "Bad_Request", "details": b.String()}})
		return out
	}
	for _, tc := range []struct {
		name string
		call func(*Client) error
		send func(w http.ResponseWriter, r *http.Request)
	}{
		{"new chat", func(c *Client) error { _, _, err := c.NewChat(context.Background(), "m"); return err },
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Actual-Status-Code", "400")
				w.Write(echo(r))
			}},
		{"completion", complete, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write(echo(r))
		}},
		{"completion's stream", complete, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: "+string(echo(r))+"\n\n")
		}},
		{"chat deletion", func(c *Client) error { return c.DeleteChat(context.Background(), "chat-1") },
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write(echo(r))
			}},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/models") {
				io.WriteString(w, `{"success":true,"data":{"data":[]}}`)
				return
			}
			tc.send(w, r)
		}))
		c := New(Config{BaseURL: srv.URL, Credentials: creds, Timeout: 2 * time.Second})
		err := tc.call(c)
		srv.Close()
		if err == nil {
			t.Fatalf("%s: no failure", tc.name)
		}
		msg := err.Error()
		for _, s := range secrets {
			if strings.Contains(msg, s) {
				t.Errorf("%s: the failure holds %q: %s", tc.name, s, msg)
			}
		}
		if !strings.Contains(msg, "headers=") || !strings.Contains(msg, "[REDACTED]") {
			t.Errorf("%s: the failure's text is not passed on, masked: %s", tc.name, msg)
		}
	}
}

func complete(c *Client) error {
	req := &CompletionRequest{ChatID: "chat-1", Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}}
	_, _, _, err := c.Complete(context.Background(), req)
	return err
}
