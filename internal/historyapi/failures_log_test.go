package historyapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/store/storetest"
)

// history is the database the API reads, which a test can take away and
// bring back.
type history struct{ qp.HistoryStore }

// A database that stays away is logged once, not at every read refused: the
// dashboard's live view alone reads every two seconds, each tab of it, and
// each read logged "history query failed" (an hour's outage: 1,800 lines a
// tab). Its return is logged too.
func TestADatabaseAwayIsLoggedOnceByTheHistoryAPI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	gone := storetest.Open(t, path)
	gone.Close() // every read now fails: "sql: database is closed"
	db := &history{gone}
	var logs logtest.Buffer
	api := New(Deps{History: db, Recorder: nopRecorder{}, Sessions: nopSessions{}, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	list := func() int {
		w := httptest.NewRecorder()
		api.ListRequests(w, httptest.NewRequest(http.MethodGet, "/v1/requests", nil))
		return w.Code
	}
	for range 20 {
		if code := list(); code != http.StatusServiceUnavailable {
			t.Fatalf("read of a closed database: %d, want 503", code)
		}
	}
	if n := strings.Count(logs.String(), `"msg":"history query failed"`); n != 1 {
		t.Fatalf("20 reads refused logged %d times, want once:\n%s", n, logs.String())
	}
	db.HistoryStore = storetest.Open(t, path)
	if code := list(); code != http.StatusOK {
		t.Fatalf("read once the database is back: %d", code)
	}
	if !strings.Contains(logs.String(), `"msg":"the history database answers again"`) || !strings.Contains(logs.String(), `"not_logged_since_last":19`) {
		t.Fatalf("the database's return is not logged with the reads refused meanwhile:\n%s", logs.String())
	}
}
