package qwen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A list older than an hour is answered from at once while one fetch in the
// background renews it: a model list that hangs does not hold completions
// (each waited for the renewal, up to the upstream timeout).
func TestStaleThinkingListAnswersWhileItIsRenewed(t *testing.T) {
	hang, reached := make(chan struct{}), make(chan struct{})
	var asks atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if asks.Add(1) == 2 {
			close(reached)
			<-hang
		}
		io.WriteString(w, `{"success":true,"data":{"data":[{"id":"qwen3.8-max","info":{"is_active":true,"meta":{"think_skip":{"enable":false}}}}]}}`)
	}))
	t.Cleanup(srv.Close)
	c := New(Config{BaseURL: srv.URL, Credentials: StaticCredentials{Cookies: "token=" + testJWT(4102444800)}})
	ctx := context.Background()
	if !c.ThinkingRequired(ctx, "qwen3.8-max") {
		t.Fatal("the first list was not learned")
	}
	th := &c.thinking
	th.mu.Lock()
	th.fetchedAt = th.fetchedAt.Add(-2 * thinkingListTTL)
	th.mu.Unlock()
	for range 3 { // Qwen's model list is not answering
		if !c.ThinkingRequired(ctx, "qwen3.8-max") {
			t.Fatal("the list held was not answered from while it was renewed")
		}
	}
	<-reached
	th.mu.Lock()
	done := th.fetching
	th.mu.Unlock()
	if n := asks.Load(); n != 2 || done == nil {
		t.Fatalf("%d model-list asks (renewal in flight: %v), want 2: one renewal for three callers", n, done != nil)
	}
	close(hang)
	<-done
	th.mu.Lock()
	defer th.mu.Unlock()
	if !th.required["qwen3.8-max"] || th.fetching != nil {
		t.Fatalf("after the renewal: %v, fetching %v", th.required, th.fetching)
	}
}
