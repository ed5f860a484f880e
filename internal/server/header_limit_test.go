package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A request whose headers pass the limit got net/http's own answer,
// "431 Request Header Fields Too Large" as text/plain, which neither the
// OpenAI nor the Anthropic SDK reads as an API error (they show the status
// alone, or fail to parse the body). It is now an API error in the
// envelope of the route's API, as every other limit's refusal is — also
// for a request that follows another on a kept-alive connection.
func TestHeadersOverTheLimitAreRefusedInTheRoutesEnvelope(t *testing.T) {
	const limit = 1024
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:        http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		MaxHeaderBytes: limit,
	}
	go srv.Serve(HeaderLimitAnswers(WriteDeadlines(ln, time.Minute), limit))
	defer srv.Close()

	// net/http reads 4 KiB past MaxHeaderBytes before it refuses.
	padding := strings.Repeat("a", limit+8<<10)
	for _, tc := range []struct {
		name, before, path string
		anthropic          bool
	}{
		{"OpenAI route", "", "/v1/chat/completions", false},
		{"Messages route", "", "/v1/messages", true},
		{"Messages route after a call", "/v1/chat/completions", "/v1/messages?beta=true", true},
		{"OpenAI route after a Messages call", "/v1/messages", "/v1/responses", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second)) // a bound, not a wait
			r := bufio.NewReader(conn)
			if tc.before != "" {
				io.WriteString(conn, "POST "+tc.before+" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}")
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			io.WriteString(conn, "POST "+tc.path+" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "+padding+"\r\nContent-Length: 2\r\n\r\n{}")
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			var got struct {
				Type  string `json:"type"`
				Error struct {
					Type, Message string
					Code          *string
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if got.Error.Type != "invalid_request_error" || !strings.Contains(got.Error.Message, "headers exceed the limit of 1024 bytes") {
				t.Fatalf("error: %s", body)
			}
			if tc.anthropic != (got.Type == "error") || tc.anthropic != (got.Error.Code == nil) {
				t.Fatalf("not in the envelope of %s: %s", tc.path, body)
			}
		})
	}
}

func TestRequestLinePath(t *testing.T) {
	for in, want := range map[string]string{
		"POST /v1/messages HTTP/1.1\r\n":    "/v1/messages",
		"GET /v1/messages/batches?x=1 HTTP": "/v1/messages/batches",
		"POST /v1/chat":                     "/v1/chat",
		"post /v1/messages HTTP/1.1":        "",
		"{\"model\":\"x\"}":                 "",
		"GET":                               "",
		"":                                  "",
	} {
		got, ok := requestLinePath([]byte(in))
		if string(got) != want || ok != (want != "") {
			t.Errorf("%q: %q %v, want %q", in, got, ok, want)
		}
	}
}
