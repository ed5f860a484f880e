package historyapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// A session's calls and statistics are the session the path names: a
// session_id beside it asked for another session's, and was answered with
// the path's without a word. It is refused, as any parameter a route does not
// take.
func TestSessionRoutesRefuseASessionIDBesideTheirs(t *testing.T) {
	storetest.Each(t, testSessionRoutesRefuseASessionIDBesideTheirs)
}

func testSessionRoutesRefuseASessionIDBesideTheirs(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	seedCalls(t, st, 2)
	for _, c := range []struct {
		handler http.HandlerFunc
		path    string
	}{{a.SessionRequests, "/requests"}, {a.SessionStats, "/stats"}} {
		for _, other := range []string{"s-2", "s-1"} {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/v1/sessions/s-1"+c.path+"?session_id="+other, nil)
			r.SetPathValue("id", "s-1")
			c.handler(w, r)
			var got struct {
				Error struct{ Code, Param string }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 400 ||
				got.Error.Code != "unknown_parameter" || got.Error.Param != "session_id" {
				t.Errorf("GET /v1/sessions/s-1%s?session_id=%s: %d %s, want 400 unknown_parameter", c.path, other, w.Code, w.Body)
			}
		}
		// Without it, the session's own.
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/v1/sessions/s-1"+c.path, nil)
		r.SetPathValue("id", "s-1")
		c.handler(w, r)
		if w.Code != 200 {
			t.Errorf("GET /v1/sessions/s-1%s: %d %s", c.path, w.Code, w.Body)
		}
	}
}
