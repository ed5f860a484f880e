package historyapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"qwenproxy/internal/auth"
	"qwenproxy/internal/store/storetest"
)

// ticketServer serves the ticket routes over real HTTP, as the server mounts
// them, with a clock the test moves and the caller's key id taken from the
// X-Test-Key header (the server's guard sets it from the key).
type ticketServer struct {
	*httptest.Server
	mu      sync.Mutex
	now     time.Time
	revoked map[string]bool
}

func (s *ticketServer) advance(d time.Duration) { s.mu.Lock(); s.now = s.now.Add(d); s.mu.Unlock() }

func newTicketServer(t *testing.T, dbURL string, seed bool) (*ticketServer, *API) {
	t.Helper()
	a, st := apiOver(t, dbURL)
	if seed {
		seedCalls(t, st, 3)
	}
	ts := &ticketServer{now: time.Now(), revoked: map[string]bool{}}
	a.d.Now = func() time.Time { ts.mu.Lock(); defer ts.mu.Unlock(); return ts.now }
	a.d.KeyValid = func(_ context.Context, id string) bool { ts.mu.Lock(); defer ts.mu.Unlock(); return !ts.revoked[id] }
	mux := http.NewServeMux()
	withKey := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			h(w, r.WithContext(auth.WithIdentity(r.Context(), auth.Identity{KeyID: r.Header.Get("X-Test-Key"), Admin: true})))
		}
	}
	mux.HandleFunc("POST /v1/export/tickets", withKey(a.ExportTicket))
	mux.HandleFunc("GET /v1/export", a.Export)
	mux.HandleFunc("GET "+DownloadPrefix+"{ticket}", a.Download)
	ts.Server = httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts, a
}

func (s *ticketServer) do(t *testing.T, method, path, key string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, nil)
	if key != "" {
		req.Header.Set("X-Test-Key", key)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// ticket asks for a ticket and returns its URL.
func (s *ticketServer) ticket(t *testing.T, query, key string) string {
	t.Helper()
	status, _, body := s.do(t, "POST", "/v1/export/tickets"+query, key)
	var v struct {
		URL       string `json:"url"`
		ExpiresAt int64  `json:"expires_at"`
	}
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &v) != nil || !strings.HasPrefix(v.URL, DownloadPrefix) || v.ExpiresAt == 0 {
		t.Fatalf("ticket for %q: %d %s", query, status, body)
	}
	if strings.Contains(v.URL, key) && key != "" {
		t.Fatalf("the ticket's URL %q carries the key", v.URL)
	}
	return v.URL
}

// A ticket's download is the export of its filters, byte for byte and with
// the same headers, once: used, expired, its key revoked or unknown, it is
// refused; and only so many may wait at once.
func TestExportTicketsDownloadOnce(t *testing.T) {
	storetest.Each(t, testExportTicketsDownloadOnce)
}

func testExportTicketsDownloadOnce(t *testing.T, dbURL string) {
	ts, _ := newTicketServer(t, dbURL, true)
	for _, query := range []string{"?format=csv", "?format=jsonl&session_id=s-1", "", "?format=jsonl&bodies=false"} {
		_, wantHeader, want := ts.do(t, "GET", "/v1/export"+query, "")
		url := ts.ticket(t, query, "key-a")
		status, header, got := ts.do(t, "GET", url, "")
		if status != 200 || got != want || header.Get("Content-Type") != wantHeader.Get("Content-Type") ||
			header.Get("Content-Disposition") != wantHeader.Get("Content-Disposition") {
			t.Fatalf("download of %q: %d %v %q, want the export's %v %q", query, status, header, got, wantHeader, want)
		}
		if status, _, body := ts.do(t, "GET", url, ""); status != http.StatusNotFound || !strings.Contains(body, "export_ticket_not_found") {
			t.Fatalf("a used ticket again: %d %s", status, body)
		}
	}

	// The file's name may be given (the dashboard names a conversation's
	// export after it); the bytes stay the export's.
	_, _, want := ts.do(t, "GET", "/v1/export?format=jsonl&session_id=s-1", "")
	named := ts.ticket(t, "?session_id=s-1&filename=conversation-s-1.jsonl&format=jsonl", "key-a")
	if status, header, got := ts.do(t, "GET", named, ""); status != 200 || got != want ||
		header.Get("Content-Disposition") != `attachment; filename="conversation-s-1.jsonl"` {
		t.Fatalf("a named download: %d %v %q", status, header, got)
	}
	for _, bad := range []string{"a\"b.jsonl", "../x.csv", "", strings.Repeat("x", 300) + ".csv", "x y.csv"} {
		if status, _, body := ts.do(t, "POST", "/v1/export/tickets?format=csv&filename="+url.QueryEscape(bad), "key-a"); status != 400 ||
			!strings.Contains(body, "invalid_filename") {
			t.Fatalf("a ticket named %q: %d %s", bad, status, body)
		}
	}

	// Bad filters are refused when the ticket is asked for, and no ticket
	// is made.
	if status, _, body := ts.do(t, "POST", "/v1/export/tickets?format=xml", "key-a"); status != 400 || !strings.Contains(body, "invalid_format") {
		t.Fatalf("a ticket for format=xml: %d %s", status, body)
	}

	// Expired.
	url := ts.ticket(t, "?format=csv", "key-a")
	ts.advance(TicketLifetime + time.Second)
	if status, _, _ := ts.do(t, "GET", url, ""); status != http.StatusNotFound {
		t.Fatalf("an expired ticket: %d", status)
	}

	// Unknown.
	if status, _, _ := ts.do(t, "GET", DownloadPrefix+"not-a-ticket", ""); status != http.StatusNotFound {
		t.Fatalf("an unknown ticket: %d", status)
	}

	// A HEAD does not use it up, and has the GET's headers (it had none
	// of the export's).
	url = ts.ticket(t, "?format=csv", "key-a")
	status, head, _ := ts.do(t, "HEAD", url, "")
	if status != 200 || head.Get("Content-Type") != "text/csv; charset=utf-8" || head.Get("Content-Disposition") != `attachment; filename="qwenproxy-export.csv"` {
		t.Fatalf("HEAD of a ticket: %d %v", status, head)
	}
	if status, got, _ := ts.do(t, "GET", url, ""); status != 200 || got.Get("Content-Type") != head.Get("Content-Type") || got.Get("Content-Disposition") != head.Get("Content-Disposition") {
		t.Fatalf("a ticket after a HEAD: %d %v", status, got)
	}

	// The key that asked for it is revoked before the download.
	url = ts.ticket(t, "?format=csv", "key-b")
	ts.mu.Lock()
	ts.revoked["key-b"] = true
	ts.mu.Unlock()
	if status, _, body := ts.do(t, "GET", url, ""); status != http.StatusForbidden || !strings.Contains(body, "export_ticket_key_revoked") {
		t.Fatalf("a revoked key's ticket: %d %s", status, body)
	}

	// Bounded: MaxTickets wait at most; the next is refused with a 429
	// and its retry-after, and one is free again once one is used or
	// expires.
	var urls []string
	for range MaxTickets {
		urls = append(urls, ts.ticket(t, "?format=csv", "key-a"))
	}
	status, header, body := ts.do(t, "POST", "/v1/export/tickets?format=csv", "key-a")
	if status != http.StatusTooManyRequests || header.Get("Retry-After") == "" || !strings.Contains(body, "too_many_export_tickets") {
		t.Fatalf("ticket %d: %d %v %s", MaxTickets+1, status, header, body)
	}
	if status, _, _ := ts.do(t, "GET", urls[0], ""); status != 200 {
		t.Fatalf("a waiting ticket: %d", status)
	}
	ts.ticket(t, "?format=csv", "key-a")
	ts.advance(TicketLifetime + time.Second)
	for range MaxTickets {
		ts.ticket(t, "?format=csv", "key-a")
	}
}

// Instances sharing a database share the tickets: behind a balancer the
// download may reach another instance than the one that made the ticket,
// and still it serves the export once.
func TestExportTicketsAreSharedBetweenInstances(t *testing.T) {
	storetest.Each(t, testExportTicketsAreSharedBetweenInstances)
}

func testExportTicketsAreSharedBetweenInstances(t *testing.T, dbURL string) {
	one, _ := newTicketServer(t, dbURL, true)
	two, _ := newTicketServer(t, dbURL, false)
	url := one.ticket(t, "?format=csv", "key-a")
	_, _, want := one.do(t, "GET", "/v1/export?format=csv", "")
	if status, _, got := two.do(t, "GET", url, ""); status != 200 || got != want {
		t.Fatalf("the other instance's download: %d %q, want %q", status, got, want)
	}
	if status, _, _ := one.do(t, "GET", url, ""); status != http.StatusNotFound {
		t.Fatalf("the first instance after the other served it: %d", status)
	}
}
