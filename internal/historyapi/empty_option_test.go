package historyapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// An option given with no value (limit=, after=, format=) is a 400 naming
// it, as a bad value is: it was read as absent, so after= answered the
// first page again (a script paging with an unset cursor variable looped
// over it for ever), limit= listed the default 50 and format= exported
// JSONL.
func TestAnEmptyOptionIsRefused(t *testing.T) {
	storetest.Each(t, testAnEmptyOptionIsRefused)
}

func testAnEmptyOptionIsRefused(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	seedCalls(t, st, 3)
	cases := []struct {
		handler http.HandlerFunc
		target  string
		code    string
	}{
		{a.ListRequests, "/v1/requests?limit=", "invalid_limit"},
		{a.ListRequests, "/v1/requests?offset=", "invalid_offset"},
		{a.ListRequests, "/v1/requests?after=", "invalid_cursor"},
		{a.ListRequests, "/v1/requests?before=", "invalid_cursor"},
		{a.ListRequests, "/v1/requests?sort=", "invalid_sort"},
		{a.ListRequests, "/v1/requests?order=", "invalid_sort"},
		{a.ListRequests, "/v1/requests?orderBy=", "invalid_sort"},
		{a.ListRequests, "/v1/requests?include=", "invalid_include"},
		{a.ListRequests, "/v1/requests?count=", "invalid_count"},
		{a.ListResponses, "/v1/responses?limit=", "invalid_limit"},
		{a.ListSessions, "/v1/sessions?after=", "invalid_cursor"},
		{a.ListSessions, "/v1/sessions?sort=", "invalid_sort"},
		{a.Export, "/v1/export?format=", "invalid_format"},
		{a.Export, "/v1/export?bodies=", "invalid_bodies"},
	}
	for _, tc := range cases {
		w := serve(tc.handler, "GET", tc.target)
		var body struct{ Error struct{ Code, Param string } }
		_, param, _ := strings.Cut(tc.target, "?")
		param = strings.TrimSuffix(param, "=")
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 400 || body.Error.Code != tc.code || body.Error.Param != param {
			t.Errorf("%s: %d %.200s, want 400 %s on %s", tc.target, w.Code, w.Body, tc.code, param)
		}
	}
	// Given with values, they are read as before.
	for _, target := range []string{"/v1/requests?limit=2&order=asc&sort=id&include=bodies&count=false", "/v1/requests?orderBy=timestamp+ASC", "/v1/requests"} {
		if w := serve(a.ListRequests, "GET", target); w.Code != 200 {
			t.Errorf("%s: %d %.200s", target, w.Code, w.Body)
		}
	}
	if w := serve(a.Export, "GET", "/v1/export?format=csv&bodies=false"); w.Code != 200 {
		t.Errorf("csv export: %d %.200s", w.Code, w.Body)
	}
}
