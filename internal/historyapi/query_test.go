package historyapi

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestStrictQuery(t *testing.T) {
	known := []string{"session_id", "orderBy", "search"}
	ok := map[string]map[string]string{
		"":                         {},
		"session_id=abc":           {"session_id": "abc"},
		"session_id=abc%3Bx":       {"session_id": "abc;x"},
		"orderBy=created_at+ASC":   {"orderBy": "created_at ASC"},
		"search=a%26b&session_id=": {"search": "a&b", "session_id": ""},
		"&&search=x":               {"search": "x"},
	}
	for raw, want := range ok {
		q, err := strictQuery(httptest.NewRequest("GET", "/v1/requests?"+raw, nil), known)
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			continue
		}
		for k, v := range want {
			if q.Get(k) != v {
				t.Errorf("%q: %s = %q, want %q", raw, k, q.Get(k), v)
			}
		}
	}
	bad := map[string]struct{ code, param, says string }{
		"session_id=abc;x":  {"invalid_query", "session_id", "';' is not a separator"},
		"a;b=c":             {"invalid_query", "a;b", "';' is not a separator"},
		"search=%zz":        {"invalid_query", "search", "a % must start an escape"},
		"sessionid=abc":     {"unknown_parameter", "sessionid", "sessionid"},
		"search=x&limit=5":  {"unknown_parameter", "limit", "limit"},
		"search=x&search=x": {"repeated_parameter", "search", "more than once"},
		"search=x&search=":  {"repeated_parameter", "search", "more than once"},
	}
	for raw, want := range bad {
		_, err := strictQuery(httptest.NewRequest("GET", "/v1/requests?"+raw, nil), known)
		if err == nil || err.Status != 400 || err.Code != want.code || err.Param != want.param || !strings.Contains(err.Message, want.says) {
			t.Errorf("%q: %+v, want %s on %s saying %q", raw, err, want.code, want.param, want.says)
		}
	}
}

// A filter given with no value (model=) is a 400 naming it, in the lists,
// the stats and the session list: it was taken as no filter, and answered
// every call.
func TestAnEmptyFilterIsRefused(t *testing.T) {
	for _, raw := range []string{"model=", "account=", "session_id=", "finish_reason=", "start=", "status=&model=x"} {
		q, _ := strictQuery(httptest.NewRequest("GET", "/v1/requests?"+raw, nil), filterNames)
		name, _, _ := strings.Cut(raw, "=")
		if _, err := CallFilterFrom(q, time.Now()); err == nil || err.Param != name || err.Code != "invalid_filter" {
			t.Errorf("requests %q: %+v", raw, err)
		}
		if _, err := StatsQueryFrom(q, time.Now()); err == nil || err.Param != name {
			t.Errorf("stats %q: %+v", raw, err)
		}
		if _, err := SessionFilterFrom(q, time.Now()); err == nil || err.Param != name {
			t.Errorf("sessions %q: %+v", raw, err)
		}
	}
	q, _ := strictQuery(httptest.NewRequest("GET", "/v1/requests?model=x", nil), filterNames)
	if _, err := CallFilterFrom(q, time.Now()); err != nil {
		t.Errorf("model=x: %+v", err)
	}
}
