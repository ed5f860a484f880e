package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestARequestsLineCostsNothingUnlogged: the middleware's debug line of a
// request costs no allocation when debug is not logged (it was three: its
// values, boxed; four are left, the request's id among them), and is the
// same line when it is.
func TestARequestsLineCostsNothingUnlogged(t *testing.T) {
	var out bytes.Buffer
	level := new(slog.LevelVar)
	level.Set(slog.LevelInfo)
	s := New(Config{}, Deps{Log: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: level}))})
	h := s.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }),
		func(*http.Request) string { return "" })
	r := httptest.NewRequest(http.MethodGet, "/health", nil)
	w := httptest.NewRecorder()
	serve := func() { h.ServeHTTP(w, r) }
	if n := testing.AllocsPerRun(100, serve); n > 4 {
		t.Errorf("%v allocations a request, debug not logged", n)
	}
	if out.Len() != 0 {
		t.Fatalf("logged at info: %s", out.String())
	}
	level.Set(slog.LevelDebug)
	serve()
	line := out.String()
	for _, want := range []string{`msg=request method=GET path=/health status=204 duration_ms=`, ` request_id=` + w.Header().Get("X-Request-Id") + "\n"} {
		if !strings.Contains(line, want) {
			t.Errorf("debug line %q lacks %q", line, want)
		}
	}
}
