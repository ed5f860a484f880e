package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The time buckets ended at 120 s, where a call may run QWEN_MAX_DURATION,
// 600 s by default and up to 3600 s (an agent's long answer): every call
// past two minutes fell in +Inf alone, and histogram_quantile put a p99 of
// ten minutes at 120 s. They now reach the longest a call may take.
func TestDurationBucketsReachTheLongestCall(t *testing.T) {
	m := New()
	m.RequestDuration.WithLabelValues("/v1/chat/completions", "POST").Observe(599)
	m.RequestDuration.WithLabelValues("/v1/chat/completions", "POST").Observe(3599)
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`qwenproxy_http_request_duration_seconds_bucket{method="POST",route="/v1/chat/completions",le="120"} 0`,
		`qwenproxy_http_request_duration_seconds_bucket{method="POST",route="/v1/chat/completions",le="600"} 1`,
		`qwenproxy_http_request_duration_seconds_bucket{method="POST",route="/v1/chat/completions",le="3600"} 2`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
