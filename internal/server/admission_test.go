package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"qwenproxy/internal/metrics"
)

// The requests in progress were bounded only by file descriptors: each
// holds its body (up to MAX_BODY_BYTES) and its answer, and a runaway client
// could take the process's memory with them. With MAX_IN_FLIGHT requests
// with a body in progress, the next is answered at once: 503 with
// Retry-After in the envelope of its API (Anthropic's overloaded_error,
// which its SDK and Claude Code retry), while reads without a body still
// go through; the place is given back when the request ends.
func TestRequestsBeyondMaxInFlightAreRefusedAtOnce(t *testing.T) {
	s, srv, m, held := fullServer(t)

	post := func(path string, header map[string]string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(`{"model":"qwen3-max"}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resp, body
	}
	resp, body := post("/v1/chat/completions", nil)
	e, _ := body["error"].(map[string]any)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || e["code"] != "server_overloaded" ||
		!strings.Contains(fmt.Sprint(e["message"]), "MAX_IN_FLIGHT") {
		t.Errorf("chat completion over the bound: %d Retry-After %q %v, want 503 server_overloaded with Retry-After 1", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, body = post("/v1/messages", map[string]string{"anthropic-version": "2023-06-01"})
	e, _ = body["error"].(map[string]any)
	if resp.StatusCode != http.StatusServiceUnavailable || body["type"] != "error" || e["type"] != "overloaded_error" {
		t.Errorf("message over the bound: %d %v, want 503 overloaded_error", resp.StatusCode, body)
	}
	var refused dto.Metric
	if err := m.InFlightRefused.Write(&refused); err != nil || refused.GetCounter().GetValue() != 2 {
		got := refused.GetCounter().GetValue()
		t.Errorf("qwenproxy_requests_refused_in_flight_total = %v, want 2", got)
	}
	// A read without a body is never refused: the operator can look.
	if r, err := http.Get(srv.URL + "/health"); err != nil || r.StatusCode == http.StatusServiceUnavailable {
		t.Fatalf("GET /health while full: %v %v", r, err)
	} else {
		r.Body.Close()
	}

	// The held request ends (its body completes: a 400 for it), and its
	// place is given back.
	fmt.Fprint(held, "]")
	if r, err := http.ReadResponse(bufio.NewReader(held), nil); err != nil || r.StatusCode != http.StatusBadRequest {
		t.Fatalf("the held request: %v %v, want its 400", r, err)
	}
	waitInFlight(t, s, 0)
	if resp, body := post("/v1/chat/completions", nil); resp.StatusCode == http.StatusServiceUnavailable {
		t.Errorf("after the place was given back: %d %v", resp.StatusCode, body)
	}
}

// fullServer is a server with MAX_IN_FLIGHT 1 and its one place held by
// a request whose body is declared and has not all arrived (held: its
// connection, on which the rest may be sent).
func fullServer(t *testing.T) (*Server, *httptest.Server, *metrics.Metrics, net.Conn) {
	t.Helper()
	m := metrics.New()
	s := New(Config{MaxInFlight: 1, BodyTimeout: time.Minute}, Deps{Metrics: m, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	held, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() }) // before srv.Close, which waits for it
	fmt.Fprintf(held, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{")
	waitInFlight(t, s, 1)
	return s, srv, m, held
}

// waitInFlight waits until the server has n requests with a body in
// progress: the held request's handler takes its place on its own
// goroutine.
func waitInFlight(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.InFlight() != n {
		if time.Now().After(deadline) {
			t.Fatalf("requests in flight: %d, want %d", s.InFlight(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A request no route serves reads no body: it is told its mistake (the
// 404 that names the route a base URL without /v1 meant, an API the proxy
// does not serve, a 405 with Allow) even while the proxy is full, rather
// than a 503 its SDK retries, which hid the mistake behind "overloaded".
func TestARequestNoRouteServesIsToldSoWhenFull(t *testing.T) {
	_, srv, m, _ := fullServer(t)

	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"POST", "/chat/completions", http.StatusNotFound, "not_found"},
		{"POST", "/v1/embeddings", http.StatusNotFound, "unsupported_endpoint"},
		{"POST", "/v1/no-such-route", http.StatusNotFound, "not_found"},
		{"PUT", "/v1/chat/completions", http.StatusMethodNotAllowed, "method_not_allowed"},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(`{"model":"qwen3-max"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != c.status || body.Error.Code != c.code {
			t.Errorf("%s %s while full: %d %q %v, want %d %s", c.method, c.path, resp.StatusCode, body.Error.Code, err, c.status, c.code)
		}
	}
	var refused dto.Metric
	if err := m.InFlightRefused.Write(&refused); err != nil || refused.GetCounter().GetValue() != 0 {
		t.Errorf("qwenproxy_requests_refused_in_flight_total = %v, want 0", refused.GetCounter().GetValue())
	}
}
