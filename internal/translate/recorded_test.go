package translate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
)

// recordedAnswer serves a recorded answer of Qwen's as its completion, over
// loopback HTTP, and reads it as the server does: the client's stream into
// an Answer, up to its end.
func recordedAnswer(t *testing.T, file, contentType string) *Answer {
	t.Helper()
	rec, err := os.ReadFile("../../testdata/qwen/" + file)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/models") {
			io.WriteString(w, `{"success":true,"data":{"data":[]}}`)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(rec)
	}))
	t.Cleanup(srv.Close)
	c := qwen.New(qwen.Config{BaseURL: srv.URL, Credentials: qwen.StaticCredentials{Cookies: "token=a.eyJleHAiOjQxMDI0NDQ4MDB9.c"}, Timeout: 5 * time.Second})
	s, _, _, err := c.Complete(context.Background(), qwen.NewCompletionRequest("c", "", "qwen3-max", time.Now(), qwen.MessageSpec{Content: "explain religion to an alien"}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := &Answer{}
	for !a.Finished {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			err = a.Unfinished()
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		a.Add(ev)
	}
	if err := a.Empty(); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return a
}

// Qwen's recorded answers (testdata/qwen, qwen-wire.md §4.2, §4.3) read,
// through the client and an Answer as a call reads them, to what the
// recording says independently of the parsers: the whole text, the usage
// (the stream's last cumulative count; none in the JSON answer), the ids the
// next turn threads onto, and the record of the upstream answer. The
// parsers' own tests stop at the stream's events.
func TestTheRecordedAnswersReadWhole(t *testing.T) {
	t.Run("stream", func(t *testing.T) {
		raw, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
		if err != nil {
			t.Fatal(err)
		}
		var want strings.Builder
		for _, line := range strings.Split(string(raw), "\n") {
			var ev struct {
				Choices []struct{ Delta struct{ Content string } }
			}
			if strings.HasPrefix(line, `data: {"choices"`) && json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev) == nil {
				want.WriteString(ev.Choices[0].Delta.Content)
			}
		}
		a := recordedAnswer(t, "completion-stream.sse", "text/event-stream; charset=utf-8")
		if a.Content() != want.String() || a.Reasoning() != "" || a.Events != 823 {
			t.Fatalf("%d events, text %d bytes (want %d), reasoning %q", a.Events, len(a.Content()), want.Len(), a.Reasoning())
		}
		if u := a.Usage(); u != (openai.Usage{PromptTokens: 33, CompletionTokens: 838, TotalTokens: 871}) {
			t.Fatalf("usage %+v", u)
		}
		if a.Created != (qwen.Created{ChatID: "0cac4f88-3ce7-4b19-8ebb-632ca66c512c", ParentID: "f2a0176c-e4cd-4550-b476-f9fa5daa7a32",
			ResponseID: "e34734e7-0999-4d8f-a900-81d1a3db9ae4"}) {
			t.Fatalf("created %+v", a.Created)
		}
		var rec struct {
			Success bool
			Data    struct {
				MessageID string `json:"message_id"`
				Choices   []struct{ Message struct{ Content string } }
			}
			Usage struct {
				Output int `json:"output_tokens"`
			}
			Finished bool
		}
		if err := json.Unmarshal(a.UpstreamRecord(), &rec); err != nil || !rec.Success || !rec.Finished || rec.Usage.Output != 838 ||
			rec.Data.MessageID != a.Created.ResponseID || rec.Data.Choices[0].Message.Content != want.String() {
			t.Fatalf("record %+v, err %v", rec, err)
		}
	})
	t.Run("json", func(t *testing.T) {
		raw, err := os.ReadFile("../../testdata/qwen/completion-nonstream.json")
		if err != nil {
			t.Fatal(err)
		}
		var want struct {
			Data struct {
				ParentID  string `json:"parent_id"`
				MessageID string `json:"message_id"`
				Choices   []struct{ Message struct{ Content string } }
			}
		}
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		a := recordedAnswer(t, "completion-nonstream.json", "application/json")
		if a.Content() != want.Data.Choices[0].Message.Content || a.Usage() != (openai.Usage{}) ||
			a.Created.ParentID != want.Data.ParentID || a.Created.ResponseID != want.Data.MessageID {
			t.Fatalf("answer %q, usage %+v, created %+v", a.Content(), a.Usage(), a.Created)
		}
	})
}
