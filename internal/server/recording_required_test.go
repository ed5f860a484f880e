package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"qwenproxy/internal/metrics"
)

// undurableRecorder is a recorder that cannot keep records now: neither
// the database nor the spool takes them.
type undurableRecorder struct{ syncedRecorder }

func (undurableRecorder) Durable() bool { return false }

// A call refused under RECORDING_REQUIRED leaves the calls in progress:
// it stayed in the live view (GET /v1/requests/active, the dashboard) for
// good, its request id held there. An image's generation is refused so too:
// it went to Qwen unrecorded.
func TestACallRefusedUnderRecordingRequiredLeavesTheLiveView(t *testing.T) {
	s := New(Config{RecordingRequired: true, RecordBodies: true},
		Deps{Upstream: noUpstream{}, History: &fakeHistory{}, ResponseObjects: &fakeHistory{}, Conversations: &fakeConversations{},
			Recorder: undurableRecorder{}, Metrics: metrics.New(), Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	for path, body := range map[string]string{
		"/v1/chat/completions":   `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`,
		"/v1/messages":           `{"model":"qwen3-max","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`,
		"/v1/responses":          `{"model":"qwen3-max","input":"hi"}`,
		"/v1/images/generations": `{"model":"qwen3-max","prompt":"a cat"}`,
	} {
		code, body := boundedCall(t, srv, http.MethodPost, path, body)
		if code != http.StatusServiceUnavailable {
			t.Fatalf("%s under RECORDING_REQUIRED with no durable record: %d %s", path, code, body)
		}
	}
	s.live.mu.Lock()
	left := len(s.live.calls)
	s.live.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d refused calls still in progress in the live view", left)
	}
}
