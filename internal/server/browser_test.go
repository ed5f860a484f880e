package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"qwenproxy/internal/auth"
)

// Without API keys, any web page the person opened could use the proxy: a
// cross-origin POST with no Content-Type (fetch's "no-cors") made a model
// call, or deleted the history, unseen; and a page whose host name was
// re-pointed at 127.0.0.1 (DNS rebinding) read every recorded conversation.
// Both are refused now; the proxy's own pages, CORS_ORIGINS and clients that
// are not browsers (no Origin) are served as before, and with keys nothing
// changes.
func TestWithoutKeysForeignWebPagesAreRefused(t *testing.T) {
	served := func(s *Server, method, host, origin string) (int, string) {
		h := s.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		req := httptest.NewRequest(method, "/v1/requests?before=9999999999999", strings.NewReader(""))
		req.Host = host
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if strings.Contains(origin, "keyed") {
			req.Header.Set("Authorization", "Bearer k")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var env struct{ Error struct{ Code string } }
		_ = json.Unmarshal(rec.Body.Bytes(), &env)
		return rec.Code, env.Error.Code
	}
	open := New(Config{LoopbackOnly: true, CORSOrigins: []string{"https://allowed.example"}}, Deps{})
	keys, err := auth.New(context.Background(), []string{"k"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyed := New(Config{LoopbackOnly: true}, Deps{Keys: keys})
	for _, tc := range []struct {
		name                 string
		s                    *Server
		method, host, origin string
		status               int
		code                 string
	}{
		{"a client that is no browser", open, http.MethodDelete, "127.0.0.1:3000", "", 204, ""},
		{"localhost", open, http.MethodPost, "localhost:3000", "", 204, ""},
		{"IPv6 loopback", open, http.MethodPost, "[::1]:3000", "", 204, ""},
		{"the dashboard, same origin", open, http.MethodDelete, "127.0.0.1:3000", "http://127.0.0.1:3000", 204, ""},
		{"an origin of CORS_ORIGINS", open, http.MethodPost, "127.0.0.1:3000", "https://allowed.example", 204, ""},
		{"another site's page", open, http.MethodPost, "127.0.0.1:3000", "https://evil.example", 403, "origin_not_allowed"},
		{"another site's delete", open, http.MethodDelete, "localhost:3000", "https://evil.example", 403, "origin_not_allowed"},
		{"a sandboxed page", open, http.MethodPost, "127.0.0.1:3000", "null", 403, "origin_not_allowed"},
		{"another port of this machine", open, http.MethodPost, "127.0.0.1:3000", "http://127.0.0.1:8080", 403, "origin_not_allowed"},
		{"DNS rebinding", open, http.MethodGet, "rebind.evil.example:3000", "http://rebind.evil.example:3000", 403, "host_not_allowed"},
		{"DNS rebinding without an Origin", open, http.MethodGet, "rebind.evil.example:3000", "", 403, "host_not_allowed"},
		{"with keys, a page's keyed call", keyed, http.MethodPost, "127.0.0.1:3000", "https://keyed.example", 204, ""},
	} {
		if status, code := served(tc.s, tc.method, tc.host, tc.origin); status != tc.status || code != tc.code {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, code, tc.status, tc.code)
		}
	}
	// A reverse proxy on the same machine that passes its own name on:
	// served when ALLOWED_HOSTS names it, in any case, with any port.
	proxied := New(Config{LoopbackOnly: true, AllowedHosts: []string{"proxy.example.com"}}, Deps{})
	if status, _ := served(proxied, http.MethodGet, "Proxy.Example.com:443", ""); status != 204 {
		t.Errorf("a name of ALLOWED_HOSTS: %d", status)
	}
	if status, code := served(proxied, http.MethodGet, "rebind.evil.example:3000", ""); status != 403 || code != "host_not_allowed" {
		t.Errorf("another name beside ALLOWED_HOSTS: %d %q", status, code)
	}
	// Not on a loopback address (--allow-unauthenticated): host names are
	// the operator's to choose; foreign pages are still refused.
	lan := New(Config{}, Deps{})
	if status, _ := served(lan, http.MethodGet, "proxy.lan:3000", ""); status != 204 {
		t.Errorf("a LAN host name beyond loopback: %d", status)
	}
	if status, code := served(lan, http.MethodPost, "proxy.lan:3000", "https://evil.example"); status != 403 || code != "origin_not_allowed" {
		t.Errorf("another site's page beyond loopback: %d %q", status, code)
	}
}

// With keys, /health/detailed and /metrics still answer without one (for
// probes and scrapers), and name the Qwen accounts' e-mail addresses: a web
// page that re-pointed its own host name at 127.0.0.1 (DNS rebinding) read
// them. On a loopback address a Host other than localhost or an IP address
// is refused with keys too.
func TestOnLoopbackRebindingIsRefusedWithKeysToo(t *testing.T) {
	keys, err := auth.New(context.Background(), []string{"k"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{LoopbackOnly: true}, Deps{Keys: keys})
	h := s.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, tc := range []struct {
		path, host string
		status     int
	}{
		{"/health/detailed", "rebind.evil.example:3000", 403},
		{"/metrics", "rebind.evil.example:3000", 403},
		{"/health/detailed", "127.0.0.1:3000", 204},
		{"/metrics", "localhost:3000", 204},
		{"/metrics", "app.localhost:3000", 204}, // browsers resolve *.localhost to loopback themselves
		{"/health/detailed", "", 204},           // HTTP/1.0 without Host: a probe, never a browser
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.Host = tc.host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		// The refusal names every name it takes (until 2026-12-07 it left
		// out the names under .localhost, which it takes).
		if rec.Code != tc.status || (tc.status == 403 && (!strings.Contains(rec.Body.String(), "host_not_allowed") || !strings.Contains(rec.Body.String(), ".localhost"))) {
			t.Errorf("GET %s, Host %s: %d %s, want %d", tc.path, tc.host, rec.Code, rec.Body.String(), tc.status)
		}
	}
}
