package historyapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/logtest"
)

// exportingHistory exports rows calls; then, when stuck, it waits for its
// context as a read on a database that stopped answering does.
type exportingHistory struct {
	qp.HistoryStore
	rows  int
	stuck bool
}

func (h exportingHistory) Export(ctx context.Context, _ qp.CallFilter, _ bool, fn func(*qp.RequestRecord) error) error {
	for i := range h.rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(&qp.RequestRecord{ID: int64(i + 1), Path: "/v1/chat/completions"}); err != nil {
			return err
		}
	}
	if h.stuck {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// slowClient takes each piece of an answer in pause: a client reading a
// long export slowly.
type slowClient struct {
	*httptest.ResponseRecorder
	pause time.Duration
}

func (c slowClient) Write(b []byte) (int, error) {
	time.Sleep(c.pause) // the client's pace, not a wait for another goroutine
	return c.ResponseRecorder.Write(b)
}

// An export is not cut by the read bound as a whole: it may rightly run
// for minutes, and a slow client's time is not the database's.
func TestAnExportLongerThanTheReadBoundIsWhole(t *testing.T) {
	api := New(Deps{History: exportingHistory{rows: 3}, Recorder: nopRecorder{}, ReadTimeout: time.Second})
	w := slowClient{httptest.NewRecorder(), 600 * time.Millisecond} // 3 rows: 1.8 s in all
	api.Export(w, httptest.NewRequest(http.MethodGet, "/v1/export?bodies=false", nil))
	if w.Code != http.StatusOK || strings.Count(w.Body.String(), "\n") != 3 {
		t.Fatalf("an export slower than the read bound, the database answering: %d, %q; want 3 rows", w.Code, w.Body)
	}
}

// An export whose database stopped answering waited for as long as its
// client did. Each wait for the next rows is bounded: before the first, it
// fails with 503 database_error, as a read does; after rows went out, the
// response is cut, not ended, so the client can tell the export is not
// whole.
func TestAnExportWhoseDatabaseStopsAnsweringEnds(t *testing.T) {
	guard, cancel := context.WithTimeout(context.Background(), time.Minute) // the test's bound, far past the export's
	defer cancel()
	var logs logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

	api := New(Deps{History: exportingHistory{stuck: true}, Recorder: nopRecorder{}, Log: log, ReadTimeout: 200 * time.Millisecond})
	w := httptest.NewRecorder()
	api.Export(w, httptest.NewRequestWithContext(guard, http.MethodGet, "/v1/export", nil))
	if guard.Err() != nil {
		t.Fatal("an export on a database that stopped answering waited for the test's bound")
	}
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"code":"database_error"`) {
		t.Fatalf("an export on a database that stopped answering before its first row: %d %s, want 503 database_error", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), `"msg":"history query failed"`) || !strings.Contains(logs.String(), "HISTORY_READ_TIMEOUT") {
		t.Fatalf("the export's bound is not in the log:\n%s", logs.String())
	}

	api = New(Deps{History: exportingHistory{rows: 2, stuck: true}, Recorder: nopRecorder{}, Log: log, ReadTimeout: 200 * time.Millisecond})
	srv := httptest.NewServer(http.HandlerFunc(api.Export))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(guard, http.MethodGet, srv.URL+"/v1/export?bodies=false", nil)
	// Cut before its first bytes left the server's buffer (a flush every
	// 200 rows), or after: either way the client sees no whole answer.
	resp, err := srv.Client().Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if guard.Err() != nil {
		t.Fatal("an export on a database that stopped answering mid-way waited for the test's bound")
	}
	if err == nil {
		t.Fatalf("an export cut mid-way by a database that stopped answering ended as a whole one: %d %q", resp.StatusCode, body)
	}
	if !strings.Contains(logs.String(), `"msg":"export stopped"`) {
		t.Fatalf("the cut export is not in the log:\n%s", logs.String())
	}
}

// goneClient is a client that left: every write fails, as on a closed
// connection.
type goneClient struct{ *httptest.ResponseRecorder }

func (goneClient) Write([]byte) (int, error) { return 0, errors.New("write tcp: broken pipe") }

// A client that leaves mid-export is cut off as a failed one is, but it is
// not the proxy's failure: logged at debug, where it was an error.
func TestAnExportWhoseClientLeftIsNotAnError(t *testing.T) {
	var logs logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	api := New(Deps{History: exportingHistory{rows: 1000}, Recorder: nopRecorder{}, Log: log})
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("an export whose client left ended with %v, want it cut (http.ErrAbortHandler)", v)
			}
		}()
		api.Export(goneClient{httptest.NewRecorder()}, httptest.NewRequest(http.MethodGet, "/v1/export?bodies=false", nil))
	}()
	if !strings.Contains(logs.String(), `"msg":"export stopped: the client left"`) || strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Fatalf("an export whose client left, logged:\n%s", logs.String())
	}
}
