package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/metrics"
)

// An export cut after its rows began (the database failed mid-way: the
// handler panics with http.ErrAbortHandler) went uncounted: the middleware
// passed the panic on before its metrics and its request line. It is
// counted now, as aborted, its request line says so, and the response is
// still cut.
func TestAnExportCutMidwayIsCountedAborted(t *testing.T) {
	m := metrics.New()
	h := &fakeHistory{export: func(fn func(*qp.RequestRecord) error) error {
		if err := fn(&qp.RequestRecord{RequestID: storedRequestID}); err != nil {
			return err
		}
		return errRefused // the database fails after the first row went out
	}}
	var log logtest.Buffer
	s := New(Config{HistoryReadTimeout: 100 * time.Millisecond}, Deps{Upstream: noUpstream{}, History: h, ResponseObjects: h, Conversations: &fakeConversations{},
		Recorder: syncedRecorder{}, Metrics: m, Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/export?format=jsonl", nil)
	// Cut: before its first bytes reach the client (the rows wait in the
	// buffer), or after.
	if resp, err := srv.Client().Do(req); err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Fatalf("the export was ended as whole (%d), not cut", resp.StatusCode)
		}
	}
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	const want = `qwenproxy_http_requests_total{method="GET",route="/v1/export",status="aborted"} 1`
	if !strings.Contains(w.Body.String(), want) {
		var lines []string
		for _, l := range strings.Split(w.Body.String(), "\n") {
			if strings.HasPrefix(l, "qwenproxy_http_requests_total") {
				lines = append(lines, l)
			}
		}
		t.Fatalf("metrics lack %s:\n%s", want, strings.Join(lines, "\n"))
	}
	if !strings.Contains(log.String(), "msg=request method=GET path=/v1/export status=200 aborted=true") {
		t.Fatalf("the request's line does not say it was aborted:\n%s", log.String())
	}
}
