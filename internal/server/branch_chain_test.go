package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
)

// chainHistory holds a previous_response_id chain of n stored responses,
// r1 … rn (each continuing the one before), and counts the reads of each.
type chainHistory struct {
	qp.HistoryStore
	qp.ResponseObjectStore
	n     int
	mu    sync.Mutex
	reads map[string]int // by request id
}

func chainRequestID(i int) string { return fmt.Sprintf("0190aaaa-bbbb-cccc-dddd-%012d", i) }

func chainResponseID(i int) string { return responseID(chainRequestID(i), "s1") }

func (h *chainHistory) Request(ctx context.Context, key string) (*qp.RequestRecord, error) {
	h.mu.Lock()
	h.reads[key]++
	h.mu.Unlock()
	for i := 1; i <= h.n; i++ {
		if key != chainRequestID(i) {
			continue
		}
		previous := ""
		if i > 1 {
			previous = `,"previous_response_id":"` + chainResponseID(i-1) + `"`
		}
		return &qp.RequestRecord{RequestID: key, SessionID: "s1", Path: "/v1/responses", Timestamp: time.Now(),
			OpenAIRequest: fmt.Appendf(nil, `{"model":"m","input":"question %d"%s}`, i, previous),
			Response: &qp.ResponseRecord{OpenAIResponse: fmt.Appendf(nil, `{"id":"%s","object":"response","output":[`+
				`{"type":"message","role":"assistant","content":[{"type":"output_text","text":"answer %d"}]}]}`, chainResponseID(i), i)}}, nil
	}
	return nil, qp.ErrNotFound
}

func (h *chainHistory) ResponseObjectDeleted(context.Context, string) (bool, error) {
	return false, nil
}

// A branch reads its response's chain once: the check that every response
// of it can be read back (branchChain) keeps what it read, and the new
// chat is told the conversation from that. Until 2026-12-06 the check read
// the chain, then the conversation read it again, each record twice.
func TestABranchReadsItsChainOnce(t *testing.T) {
	h := &chainHistory{n: 3, reads: map[string]int{}}
	s := New(Config{HistoryReadTimeout: time.Second, RecordBodies: true},
		Deps{Upstream: noUpstream{}, History: h, ResponseObjects: h, Recorder: syncedRecorder{}, Log: slog.New(slog.DiscardHandler)})
	chain := &previousChain{s: s, id: chainResponseID(3)}
	ctx := context.Background()
	if err := chain.branch(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a branch names its session by the conversation, then tells it
		msgs, err := chain.turns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var told []string
		for _, m := range msgs {
			told = append(told, m.Text)
		}
		if got := strings.Join(told, " | "); got != "question 1 | answer 1 | question 2 | answer 2 | question 3 | answer 3" {
			t.Fatalf("told %q", got)
		}
	}
	for i := 1; i <= h.n; i++ {
		if n := h.reads[chainRequestID(i)]; n != 1 {
			t.Errorf("r%d read %d times", i, n)
		}
	}
}
