package historyapi

import (
	"encoding/json"
	"testing"
	"time"

	"qwenproxy/internal/store/storetest"
)

// A list says the start and end it read, in Unix ms, an age resolved by the
// server's clock: the dashboard deletes what it counted "before 30d" by
// that instant, where it parsed the age itself (a copy of ParseAge's rules
// in JavaScript, by the browser's idea of the server's clock).
func TestAListSaysTheRangeItRead(t *testing.T) { storetest.Each(t, testAListSaysTheRangeItRead) }

func testAListSaysTheRangeItRead(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	now := time.UnixMilli(time.Now().UnixMilli())
	a.d.Now = func() time.Time { return now }
	seedCalls(t, st, 1)
	type envelope struct {
		Total int    `json:"total"`
		Start *int64 `json:"start"`
		End   *int64 `json:"end"`
	}
	read := func(handler func(string) []byte, target string) envelope {
		var env envelope
		if err := json.Unmarshal(handler(target), &env); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		return env
	}
	requests := func(target string) []byte { return serve(a.ListRequests, "GET", target).Body.Bytes() }
	responses := func(target string) []byte { return serve(a.ListResponses, "GET", target).Body.Bytes() }
	sessions := func(target string) []byte { return serve(a.ListSessions, "GET", target).Body.Bytes() }
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	for _, list := range []struct {
		name    string
		handler func(string) []byte
		path    string
	}{{"requests", requests, "/v1/requests"}, {"responses", responses, "/v1/responses"}, {"sessions", sessions, "/v1/sessions"}} {
		env := read(list.handler, list.path+"?end=30m&start=2026-01-02")
		if env.End == nil || *env.End != ms(now.Add(-30*time.Minute)) || env.Start == nil || *env.Start != ms(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: start %v, end %v; want 2026-01-02 and 30 minutes before now", list.name, env.Start, env.End)
		}
		if env.Total != 1 {
			t.Errorf("%s: total %d, want the call an hour old", list.name, env.Total)
		}
		if env = read(list.handler, list.path); env.Start != nil || env.End != nil {
			t.Errorf("%s without a range: start %v, end %v; want neither", list.name, env.Start, env.End)
		}
	}
}
