package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// --api-key-id narrows requests, sessions, stats and export to the calls
// (and sessions) made with that proxy API key, by its id, as the history
// API's api_key_id= does; given empty it is refused, as the other filters
// are, before the database is read.
func TestHistoryCommandsFilterByAPIKey(t *testing.T) {
	storetest.Each(t, testHistoryCommandsFilterByAPIKey)
}

func testHistoryCommandsFilterByAPIKey(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	keys := []string{"key-1a2b3c4d", "env-3f2a", "key-1a2b3c4d", ""}
	var batch qp.Batch
	for i, key := range keys {
		ts := at.Add(time.Duration(i) * time.Minute)
		id := fmt.Sprintf("s-%d", i)
		batch.Sessions = append(batch.Sessions, qp.Session{ID: id, ChatID: "chat-" + id, ParentID: "p", Model: "qwen3-max", FirstUserMessage: "hi",
			MessageCount: 1, ConversationKey: "k" + id, CreatedAt: ts, LastAccessed: ts, ExpiresAt: ts.Add(time.Hour), APIKeyID: key})
		batch.Exchanges = append(batch.Exchanges, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("req-%d", i), SessionID: id, Timestamp: ts, Method: "POST", Path: "/v1/chat/completions",
				Model: "qwen3-max", APIKeyID: key, OpenAIRequest: []byte(`{}`)},
			Response: qp.Response{ResponseID: fmt.Sprintf("resp-%d", i), Timestamp: ts.Add(time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
				PromptTokens: 10 * (i + 1), Duration: time.Second},
		})
	}
	if err := st.WriteBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	// ids lists the rows' ids: sessions' ids, calls' request ids.
	ids := func(args ...string) string {
		t.Helper()
		out, errOut, code := runOn(t, dbURL, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, %q", args, code, errOut)
		}
		var rows []map[string]any
		if args[0] == "export" { // JSON lines
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var r map[string]any
				if line != "" {
					if err := json.Unmarshal([]byte(line), &r); err != nil {
						t.Fatalf("%v: %v %q", args, err, line)
					}
					rows = append(rows, r)
				}
			}
		} else if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("%v: %v %q", args, err, out)
		}
		var got []string
		for _, r := range rows {
			id := r["request_id"]
			if args[0] == "sessions" {
				id = r["id"]
			}
			got = append(got, fmt.Sprint(id))
		}
		return strings.Join(got, ",")
	}
	for key, want := range map[string][3]string{
		"key-1a2b3c4d": {"req-2,req-0", "s-2,s-0", "req-0,req-2"},
		"env-3f2a":     {"req-1", "s-1", "req-1"},
		"key-00000000": {"", "", ""},
	} {
		if got := ids("requests", "ls", "--api-key-id", key, "--json"); got != want[0] {
			t.Errorf("requests --api-key-id %s: %s, want %s", key, got, want[0])
		}
		if got := ids("sessions", "ls", "--api-key-id", key, "--json"); got != want[1] {
			t.Errorf("sessions --api-key-id %s: %s, want %s", key, got, want[1])
		}
		if got := ids("export", "--api-key-id", key); got != want[2] {
			t.Errorf("export --api-key-id %s: %s, want %s", key, got, want[2])
		}
	}
	out, errOut, code := runOn(t, dbURL, "stats", "--api-key-id", "key-1a2b3c4d", "--json")
	var stats struct {
		Statistics struct {
			TotalResponses    int64 `json:"total_responses"`
			TotalPromptTokens int64 `json:"total_prompt_tokens"`
		} `json:"statistics"`
	}
	if err := json.Unmarshal([]byte(out), &stats); err != nil || code != 0 {
		t.Fatalf("stats --api-key-id: exit %d, %v %q %q", code, err, out, errOut)
	}
	if s := stats.Statistics; s.TotalResponses != 2 || s.TotalPromptTokens != 10+30 {
		t.Errorf("stats --api-key-id key-1a2b3c4d: %+v, want 2 calls of 40 prompt tokens", s)
	}
	for _, args := range [][]string{{"requests", "ls"}, {"sessions", "ls"}, {"stats"}, {"export"}} {
		out, errOut, code := runOn(t, dbURL, append(args, "--api-key-id", "")...)
		if code != 2 || out != "" || !strings.Contains(errOut, "--api-key-id is empty") {
			t.Errorf("%v --api-key-id \"\": exit %d, %q %q", args, code, out, errOut)
		}
	}
}
