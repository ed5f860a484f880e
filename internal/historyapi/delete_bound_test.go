package historyapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/logtest"
)

// deletingHistory deletes calls in batches of perBatch, each taking pause;
// the batch stuckAt (1-based; 0: none) waits for its context instead, as a
// batch on a database that stopped answering does, and is rolled back.
type deletingHistory struct {
	qp.HistoryStore
	batches, perBatch, stuckAt int
	pause                      time.Duration
}

func (h deletingHistory) DeleteRequestsBefore(ctx context.Context, _ time.Time, _ int, committed func(int)) (int, error) {
	total := 0
	for i := 1; i <= h.batches; i++ {
		if i == h.stuckAt {
			<-ctx.Done()
			return total, ctx.Err()
		}
		select {
		case <-time.After(h.pause): // the batch's work, not a wait for another goroutine
		case <-ctx.Done():
			return total, ctx.Err()
		}
		total += h.perBatch
		if committed != nil {
			committed(total)
		}
	}
	return total, nil
}

func (deletingHistory) ReclaimSpace(context.Context) error { return nil }

// A delete runs in batches for as long as that takes: the bound is each
// batch's, not the whole delete's.
func TestADeleteLongerThanTheReadBoundIsWhole(t *testing.T) {
	api := New(Deps{History: deletingHistory{batches: 4, perBatch: 500, pause: 300 * time.Millisecond}, Recorder: nopRecorder{},
		ReadTimeout: time.Second}) // 4 batches: 1.2 s in all
	w := httptest.NewRecorder()
	api.DeleteRequests(w, httptest.NewRequest(http.MethodDelete, "/v1/requests?before=1", nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"deleted":2000`) {
		t.Fatalf("a delete longer than the read bound, each batch within it: %d %s; want 2000 deleted", w.Code, w.Body)
	}
}

// A delete whose database stopped answering waited for as long as its
// client did. Each batch is bounded: the delete is a 503 database_error,
// saying how many calls it deleted before, and the log says so too.
func TestADeleteWhoseDatabaseStopsAnsweringEnds(t *testing.T) {
	for _, c := range []struct {
		name    string
		stuckAt int
		message string
		logged  string
	}{
		{"at its first batch", 1, "the history database could not answer; try again", `"msg":"history query failed"`},
		{"at its third batch", 3, "part way through the delete: 1000 calls deleted; try again to delete the rest",
			`"msg":"history delete stopped part way","deleted":1000`},
	} {
		t.Run(c.name, func(t *testing.T) {
			guard, cancel := context.WithTimeout(context.Background(), time.Minute) // the test's bound, far past the delete's
			defer cancel()
			var logs logtest.Buffer
			api := New(Deps{History: deletingHistory{batches: 4, perBatch: 500, stuckAt: c.stuckAt}, Recorder: nopRecorder{},
				Log: slog.New(slog.NewJSONHandler(&logs, nil)), ReadTimeout: 200 * time.Millisecond})
			w := httptest.NewRecorder()
			api.DeleteRequests(w, httptest.NewRequestWithContext(guard, http.MethodDelete, "/v1/requests?before=1", nil))
			if guard.Err() != nil {
				t.Fatal("a delete on a database that stopped answering waited for the test's bound")
			}
			if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"code":"database_error"`) ||
				!strings.Contains(w.Body.String(), c.message) {
				t.Fatalf("a delete stopped %s: %d %s; want 503 database_error saying %q", c.name, w.Code, w.Body, c.message)
			}
			if !strings.Contains(logs.String(), c.logged) || !strings.Contains(logs.String(), "HISTORY_READ_TIMEOUT") {
				t.Fatalf("the log of a delete stopped %s:\n%s\nwant %s naming HISTORY_READ_TIMEOUT", c.name, logs.String(), c.logged)
			}
		})
	}
}
