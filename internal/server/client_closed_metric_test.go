package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"qwenproxy/internal/metrics"
)

// A request whose client left before any answer went out (a call's record
// says 499, client_disconnect) was counted in qwenproxy_http_requests_total
// with status="other", which no record has and README did not name; one
// whose handler wrote nothing, which net/http answers 200, was "other" too.
func TestARequestWhoseClientLeftIsCounted499(t *testing.T) {
	m := metrics.New()
	s := New(Config{}, Deps{Metrics: m, Log: slog.New(slog.DiscardHandler)})
	route := func(*http.Request) string { return "/v1/chat/completions" }
	waits := s.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }), route)
	silent := s.middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), route)

	left, leave := context.WithCancel(context.Background())
	leave() // the client is gone
	waits.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil).WithContext(left))
	silent.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil))

	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`qwenproxy_http_requests_total{method="POST",route="/v1/chat/completions",status="499"} 1`,
		`qwenproxy_http_requests_total{method="POST",route="/v1/chat/completions",status="200"} 1`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			var lines []string
			for _, l := range strings.Split(w.Body.String(), "\n") {
				if strings.HasPrefix(l, "qwenproxy_http_requests_total") {
					lines = append(lines, l)
				}
			}
			t.Fatalf("metrics lack %s:\n%s", want, strings.Join(lines, "\n"))
		}
	}
}
