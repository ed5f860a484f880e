package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
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

// A branch off from a response whose record is not in the database, made
// longer ago than any call runs and is recorded (retention deleted it, or
// the id was never answered), is OpenAI's 400 previous_response_not_found
// at once: until 2026-12-06 it waited for the record as for one another
// instance still held, then failed as a 503 database_unavailable, which
// the SDKs retried twice more, each waiting again. One made a moment ago
// is still waited for, and still a 503 when it does not come.
func TestABranchOffAResponseNoLongerRecordedIsNotFound(t *testing.T) {
	h := &chainHistory{n: 2, reads: map[string]int{}}
	s := New(Config{HistoryReadTimeout: time.Second, RecordBodies: true, MaxDuration: time.Minute},
		Deps{Upstream: noUpstream{}, History: h, ResponseObjects: h, Recorder: syncedRecorder{}, Log: slog.New(slog.DiscardHandler)})
	// A UUIDv7 of 2024 (0x0190aaaabbbb ms), which the history has not.
	goneRequest := "0190aaaa-bbbb-7ccc-8ddd-000000000003"
	gone := responseID(goneRequest, "s1")
	err := (&previousChain{s: s, id: gone}).branch(context.Background())
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || apiErr.Code != "previous_response_not_found" || apiErr.Param != "previous_response_id" {
		t.Fatalf("branch off a response no longer recorded: %v, want the 400 previous_response_not_found", err)
	}

	wait := branchRecordWait
	branchRecordWait = 200 * time.Millisecond
	defer func() { branchRecordWait = wait }()
	recent := responseID(qp.NewID(), "s1")
	err = (&previousChain{s: s, id: recent}).branch(context.Background())
	if !errors.Is(err, qp.ErrStoreUnavailable) {
		t.Fatalf("branch off a response answered a moment ago, not recorded yet: %v, want the database's error (a 503)", err)
	}
}
