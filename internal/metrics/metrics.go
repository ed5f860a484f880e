// Package metrics holds the proxy's Prometheus metrics, served at /metrics.
// Every metric is fed by the code path it names; gauges of state that lives
// elsewhere (queue depth, sessions) are read when scraped.
package metrics

import (
	"net/http"
	"time"

	qp "qwenproxy"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the proxy's registry and collectors.
type Metrics struct {
	reg *prometheus.Registry

	Requests        *prometheus.CounterVec   // route, method, status
	RequestDuration *prometheus.HistogramVec // route, method
	TTFT            prometheus.Histogram
	UpstreamCalls   *prometheus.CounterVec // endpoint, outcome
	Tokens          *prometheus.CounterVec // kind: prompt, completion
	// CallErrors counts the calls that failed, by why they ended: the
	// error_type their records carry (one of qwenproxy.ErrorTypes, each
	// listed from the start at 0).
	CallErrors    *prometheus.CounterVec
	ActiveStreams prometheus.Gauge
	// KeyConcurrencyRefused counts calls refused because their key had
	// its limit of calls in flight, by route (the model routes: bounded).
	KeyConcurrencyRefused *prometheus.CounterVec
	// InFlightRefused counts requests refused because MAX_IN_FLIGHT
	// requests were in progress.
	InFlightRefused prometheus.Counter
	BatchSize       prometheus.Histogram
	CommitSeconds   prometheus.Histogram
}

// latencyBuckets reach 3600 s, the longest a call may take (QWEN_MAX_DURATION
// at most): a stream of an agent runs minutes, and past the last bound a
// quantile reads as that bound.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// New registers the metrics, the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.Requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qwenproxy_http_requests_total",
		Help: "HTTP requests answered, by route, method and status."}, []string{"route", "method", "status"})
	m.RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "qwenproxy_http_request_duration_seconds",
		Help: "Time to answer an HTTP request, whole streams included, by route and method.", Buckets: latencyBuckets}, []string{"route", "method"})
	m.TTFT = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "qwenproxy_time_to_first_token_seconds",
		Help: "From a completion call's arrival to its first token.", Buckets: latencyBuckets})
	m.UpstreamCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qwenproxy_upstream_calls_total",
		Help: "Calls to Qwen, by endpoint and outcome (ok, or the kind of failure)."}, []string{"endpoint", "outcome"})
	m.Tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qwenproxy_tokens_total",
		Help: "Tokens reported by Qwen, by kind."}, []string{"kind"})
	m.CallErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qwenproxy_call_errors_total",
		Help: "Calls that failed, by why they ended (the error_type of their records)."}, []string{"error_type"})
	for _, t := range qp.ErrorTypes {
		m.CallErrors.WithLabelValues(t)
	}
	m.ActiveStreams = prometheus.NewGauge(prometheus.GaugeOpts{Name: "qwenproxy_active_streams",
		Help: "Streamed answers being sent now."})
	m.KeyConcurrencyRefused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qwenproxy_key_concurrency_refused_total",
		Help: "Calls refused at once (429) because their API key had as many calls in flight as its limit allows, by route."}, []string{"route"})
	m.InFlightRefused = prometheus.NewCounter(prometheus.CounterOpts{Name: "qwenproxy_requests_refused_in_flight_total",
		Help: "Requests refused at once (503) because as many requests with a body as MAX_IN_FLIGHT allows were in progress."})
	m.BatchSize = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "qwenproxy_recorder_batch_size",
		Help: "Calls and session states per recorder transaction.", Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500}})
	m.CommitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "qwenproxy_recorder_commit_seconds",
		Help: "Time to write one recorder batch.", Buckets: latencyBuckets})
	m.reg.MustRegister(m.Requests, m.RequestDuration, m.TTFT, m.UpstreamCalls, m.Tokens, m.CallErrors, m.ActiveStreams, m.KeyConcurrencyRefused, m.InFlightRefused, m.BatchSize,
		m.CommitSeconds, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe registers gauges and counters read from elsewhere when scraped.
func (m *Metrics) Observe(name, help string, kind prometheus.ValueType, value func() float64) {
	if kind == prometheus.CounterValue {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, value))
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, value))
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// UpstreamCall counts one call to Qwen; outcome is "ok" or a failure kind.
func (m *Metrics) UpstreamCall(endpoint, outcome string) {
	if m != nil {
		m.UpstreamCalls.WithLabelValues(endpoint, outcome).Inc()
	}
}

// Commit records one recorder batch.
func (m *Metrics) Commit(size int, d time.Duration) {
	if m != nil {
		m.BatchSize.Observe(float64(size))
		m.CommitSeconds.Observe(d.Seconds())
	}
}
