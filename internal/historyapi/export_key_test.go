package historyapi

import (
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A CSV export names the proxy API key that made each call, by its id, in
// the api_key_id column just before account, as the JSON form names and
// places it; a call made without keys (auth off) has the column empty — a
// cell, not "null" — so every row keeps the header's columns.
func TestCSVExportNamesEachCallsAPIKey(t *testing.T) {
	storetest.Each(t, testCSVExportNamesEachCallsAPIKey)
}

func testCSVExportNamesEachCallsAPIKey(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	var b qp.Batch
	for i, key := range []string{"key-0123456789abcdef", ""} {
		ts := at.Add(time.Duration(i) * time.Second)
		b.Exchanges = append(b.Exchanges, qp.Exchange{
			Request: qp.Request{RequestID: "req-" + string(rune('a'+i)), Timestamp: ts, Method: "POST", Path: "/v1/chat/completions",
				Model: "qwen3-max", ClientIP: "127.0.0.1", APIKeyID: key, Account: "ada@example.com"},
			Response: qp.Response{ResponseID: "resp-" + string(rune('a'+i)), Timestamp: ts.Add(time.Millisecond), Status: qp.StatusSuccess,
				HTTPStatus: 200, Duration: time.Millisecond, UpstreamAttempts: 1}})
	}
	mustWrite(t, st, b)
	w := serve(a.Export, "GET", "/v1/export?format=csv")
	rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll() // every row as wide as the header, or an error
	if err != nil || w.Code != 200 || len(rows) != 3 {
		t.Fatalf("csv export: %d %v %q", w.Code, err, w.Body)
	}
	header := rows[0]
	key, account := slices.Index(header, "api_key_id"), slices.Index(header, "account")
	if key < 0 || account != key+1 {
		t.Fatalf("header %v: want api_key_id just before account, as the JSON form has it", header)
	}
	if got := [2]string{rows[1][key], rows[2][key]}; got != [2]string{"key-0123456789abcdef", ""} {
		t.Errorf("api_key_id cells %q, want the key's id and, for the call made without keys, an empty cell", got)
	}
	for _, row := range rows[1:] {
		if row[account] != "ada@example.com" {
			t.Errorf("account cell %q: the columns after api_key_id moved off their header", row[account])
		}
	}

	// The JSON export names the same key the same way: the CSV's column is
	// its field.
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(serve(a.Export, "GET", "/v1/export?format=jsonl&bodies=false").Body.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("jsonl line %q: %v", line, err)
		}
		lines = append(lines, v)
	}
	if len(lines) != 2 || lines[0]["api_key_id"] != rows[1][key] || lines[1]["api_key_id"] != nil {
		t.Errorf("jsonl api_key_id %v, csv %q", lines, [2]string{rows[1][key], rows[2][key]})
	}
}
