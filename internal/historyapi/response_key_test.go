package historyapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A recorded response names the proxy API key that made its call, by its
// id, as the request list does: /v1/responses takes an api_key_id filter and
// the README lists its rows as every column, yet its rows had no
// api_key_id, so an operator reading the responses (the dashboard's Live
// page reads them) could not tell which key made a call.
func TestResponsesNameTheirCallsAPIKey(t *testing.T) {
	storetest.Each(t, testResponsesNameTheirCallsAPIKey)
}

func testResponsesNameTheirCallsAPIKey(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Minute).UnixMilli())
	var b qp.Batch
	keys := []string{"key-0123456789abcdef", ""} // the second call made without keys
	for i, key := range keys {
		ts := at.Add(time.Duration(i) * time.Second)
		b.Exchanges = append(b.Exchanges, qp.Exchange{
			Request: qp.Request{RequestID: "req-" + string(rune('a'+i)), Timestamp: ts, Method: "POST", Path: "/v1/chat/completions",
				Model: "qwen3-max", ClientIP: "127.0.0.1", APIKeyID: key},
			Response: qp.Response{ResponseID: "resp-" + string(rune('a'+i)), Timestamp: ts.Add(time.Millisecond), Status: qp.StatusSuccess,
				HTTPStatus: 200, Duration: time.Millisecond, UpstreamAttempts: 1}})
	}
	mustWrite(t, st, b)
	want := func(i int) *string {
		if keys[i] == "" {
			return nil
		}
		return &keys[i]
	}
	same := func(got, want *string) bool { return (got == nil) == (want == nil) && (got == nil || *got == *want) }
	show := func(s *string) string {
		if s == nil {
			return "null"
		}
		return *s
	}

	var list struct {
		Data []struct {
			ResponseID string  `json:"response_id"`
			APIKeyID   *string `json:"api_key_id"`
		} `json:"data"`
	}
	w := serve(a.ListResponses, "GET", "/v1/responses?order=asc")
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || w.Code != 200 || len(list.Data) != 2 {
		t.Fatalf("list: %d %v %s", w.Code, err, w.Body)
	}
	for i, row := range list.Data {
		if !same(row.APIKeyID, want(i)) {
			t.Errorf("list: %s has api_key_id %s, want %s", row.ResponseID, show(row.APIKeyID), show(want(i)))
		}
	}
	if !json.Valid(w.Body.Bytes()) || !containsKey(w.Body.Bytes(), "api_key_id") {
		t.Errorf("list rows have no api_key_id field: %s", w.Body)
	}

	for i, id := range []string{"1", "2"} { // their numeric ids, in the order written
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/v1/responses/"+id, nil)
		r.SetPathValue("id", id)
		a.GetResponse(rec, r)
		var one map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil || rec.Code != 200 {
			t.Fatalf("GET /v1/responses/%s: %d %v %s", id, rec.Code, err, rec.Body)
		}
		raw, ok := one["api_key_id"]
		var got *string
		if ok {
			json.Unmarshal(raw, &got)
		}
		if !ok || !same(got, want(i)) {
			t.Errorf("GET /v1/responses/%s: api_key_id %s (present %v), want %s", id, raw, ok, show(want(i)))
		}
	}
}

// containsKey reports whether every object of a list's data has the field.
func containsKey(body []byte, field string) bool {
	var list struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &list) != nil || len(list.Data) == 0 {
		return false
	}
	for _, row := range list.Data {
		if _, ok := row[field]; !ok {
			return false
		}
	}
	return true
}
