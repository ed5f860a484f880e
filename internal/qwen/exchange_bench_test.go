package qwen

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/benchcpu"
)

// BenchmarkExchange is one conversation's upstream exchange — a new chat,
// then a completion read to its end — through the Client, beside the same
// two requests (the same headers and bodies, prebuilt) sent with a plain
// http.Client: what the Client's own work costs a call (retries, attempt
// log, credentials, the 2026 bodies and headers, the watchdog, decoding the
// events), against a canned upstream that answers at once.
//
//	go test -run '^$' -bench Exchange -benchtime 5000x ./internal/qwen
func BenchmarkExchange(b *testing.B) {
	answer, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		b.Fatal(err)
	}
	events := bytes.Split(answer, []byte("\n\n"))
	short := bytes.Join([][]byte{events[0], events[1], events[len(events)-2], nil}, []byte("\n\n"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch {
		case strings.Contains(r.URL.Path, "/models"):
			io.WriteString(w, `{"success":true,"data":{"data":[]}}`)
		case strings.HasSuffix(r.URL.Path, "/chats/new"):
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"success":true,"data":{"id":"0cac4f88-3ce7-4b19-8ebb-632ca66c512c"}}`)
		default:
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(short)
		}
	}))
	defer srv.Close()
	creds := StaticCredentials{Token: "bench", Cookies: "bench=1"}

	b.Run("client", func(b *testing.B) {
		c := New(Config{BaseURL: srv.URL, Credentials: creds})
		ctx := context.Background()
		defer benchcpu.Report(b)()
		for b.Loop() {
			chatID, _, err := c.NewChat(ctx, "qwen3-max")
			if err != nil {
				b.Fatal(err)
			}
			s, _, _, err := c.Complete(ctx, NewCompletionRequest(chatID, "", "qwen3-max", time.Now(), MessageSpec{Role: "user", Content: "benchmark"}))
			if err != nil {
				b.Fatal(err)
			}
			for {
				ev, err := s.Next()
				if err != nil {
					b.Fatal(err)
				}
				if ev.Finished {
					break
				}
			}
			s.Finish()
		}
	})

	b.Run("plain", func(b *testing.B) {
		c := New(Config{BaseURL: srv.URL, Credentials: creds})
		hc := &http.Client{Transport: NewTransport()}
		header := func(page, chatID string) http.Header {
			r, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
			cr, _ := creds.Credentials(context.Background())
			c.setHeaders(r, cr, page, chatID)
			return r.Header
		}
		newChat, completion := header(refererNewChat, ""), header(refererChat, "0cac4f88-3ce7-4b19-8ebb-632ca66c512c")
		chatBody := (&NewChatRequest{Models: []string{"qwen3-max"}, Timestamp: time.Now().UnixMilli(), ChatType: ChatTypeText, ChatMode: "guest"}).encode()
		req := NewCompletionRequest("0cac4f88-3ce7-4b19-8ebb-632ca66c512c", "", "qwen3-max", time.Now(), MessageSpec{Role: "user", Content: "benchmark"})
		req.ChatMode = "guest"
		completionBody, _ := req.encode()
		post := func(path string, h http.Header, body []byte) *http.Response {
			r, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
			r.Header = h.Clone()
			resp, err := hc.Do(r)
			if err != nil {
				b.Fatal(err)
			}
			return resp
		}
		defer benchcpu.Report(b)()
		for b.Loop() {
			resp := post("/api/v2/chats/new", newChat, chatBody)
			io.ReadAll(resp.Body)
			resp.Body.Close()
			resp = post("/api/v2/chat/completions?chat_id=0cac4f88-3ce7-4b19-8ebb-632ca66c512c", completion, completionBody)
			br := bufio.NewReader(resp.Body)
			for {
				if _, err := br.ReadSlice('\n'); err != nil {
					break
				}
			}
			resp.Body.Close()
		}
	})
}
