package historyapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// Statistics asked by bucket have by_bucket, an empty list when no call
// matches (a quiet day, a key without calls): it was left out then, so a
// script reading a day's buckets failed on the day without traffic.
// Without bucket= it is left out, as before.
func TestStatsByBucketIsAListAlsoWhenEmpty(t *testing.T) {
	storetest.Each(t, testStatsByBucketIsAListAlsoWhenEmpty)
}

func testStatsByBucketIsAListAlsoWhenEmpty(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	seedCalls(t, st, 2)
	for target, want := range map[string]string{
		"/v1/stats?bucket=hour&model=none":                      "[]",
		"/v1/stats?bucket=day&api_key_id=key-none":              "[]",
		"/v1/stats?bucket=hour&start=2020-01-01&end=2020-01-02": "[]",
		"/v1/stats?model=none":                                  "",
	} {
		w := serve(a.Stats, "GET", target)
		var got map[string]json.RawMessage
		if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil {
			t.Fatalf("GET %s: %d %v %s", target, w.Code, err, w.Body)
		}
		if string(got["by_bucket"]) != want {
			t.Errorf("GET %s: by_bucket %q, want %q", target, got["by_bucket"], want)
		}
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/v1/sessions/s-1/stats?bucket=hour&model=none", nil)
	r.SetPathValue("id", "s-1")
	a.SessionStats(w, r)
	var got map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil || string(got["by_bucket"]) != "[]" {
		t.Errorf("GET /v1/sessions/s-1/stats?bucket=hour&model=none: %d %v by_bucket %q, want []", w.Code, err, got["by_bucket"])
	}
}
