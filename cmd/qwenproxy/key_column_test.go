package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// requests ls, which filters by --api-key-id, shows which key made each
// call (its id, as the dashboard's calls do); a call made without keys has
// "-" there, so a table of auth-off calls keeps its columns lined up and
// the error column after it.
func TestRequestsTableShowsEachCallsAPIKey(t *testing.T) {
	storetest.Each(t, testRequestsTableShowsEachCallsAPIKey)
}

func testRequestsTableShowsEachCallsAPIKey(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	keys := []string{"key-1a2b3c4d", "", "env-3f2a"}
	var batch qp.Batch
	for i, key := range keys {
		ts := at.Add(time.Duration(i) * time.Minute)
		batch.Exchanges = append(batch.Exchanges, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("req-%d", i), Timestamp: ts, Method: "POST", Path: "/v1/chat/completions",
				Model: "qwen3-max", APIKeyID: key},
			Response: qp.Response{ResponseID: fmt.Sprintf("resp-%d", i), Timestamp: ts.Add(time.Second), Status: qp.StatusError, HTTPStatus: 502,
				ErrorType: "upstream_error", Duration: time.Second},
		})
	}
	if err := st.WriteBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runOn(t, dbURL, "requests", "ls")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 1+len(keys) {
		t.Fatalf("requests ls: exit %d, %q %q", code, out, errOut)
	}
	// The table's columns start where their names do in the header.
	header := lines[0]
	keyAt, errorAt := strings.Index(header, "API KEY"), strings.Index(header, "ERROR")
	if keyAt < 0 || errorAt < keyAt {
		t.Fatalf("header %q: want an API KEY column before ERROR", header)
	}
	// Newest first: the call of env-3f2a, the one without a key, key-1a2b3c4d's.
	for i, want := range []string{"env-3f2a", "-", "key-1a2b3c4d"} {
		row := lines[1+i]
		if len(row) < errorAt {
			t.Fatalf("row %q is shorter than the header %q", row, header)
		}
		if got := strings.TrimSpace(row[keyAt:errorAt]); got != want {
			t.Errorf("row %q: API KEY %q, want %q", row, got, want)
		}
		if got := strings.TrimSpace(row[errorAt:]); got != "upstream_error" {
			t.Errorf("row %q: ERROR %q, want upstream_error under its header", row, got)
		}
	}
}
