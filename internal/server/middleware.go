package server

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/metrics"
	"qwenproxy/internal/openai"
)

// statusWriter remembers the status for the access log, and gives every
// write to the client a deadline (see armWrite). It passes Hijack and the
// other controls through via Unwrap (http.ResponseController).
type statusWriter struct {
	http.ResponseWriter
	status int
	route  string // the route table's path that served the request; "" for none
	// conn sets the connection's write deadline; nil where the writer has
	// none (a recorder in tests).
	conn         writeDeadliner
	writeTimeout time.Duration
	armed        time.Time // when the deadline was last set (zero: not yet)
}

type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

// armWrite gives the next write writeTimeout to be taken by the client. A
// client that stops reading (or reads a byte a minute) would otherwise hold
// its call, its goroutine and its session's lock for as long as it keeps
// the connection open: the call's own time limit cannot end a write blocked
// on a full socket. Each write gets its own deadline, so a long stream that
// is read is never cut. Setting one costs a runtime timer update (~140 ns)
// and a stream writes hundreds of times a second, so it is set again only
// once the last is older than a sixteenth of writeTimeout (at most a
// second): each write then has between 15/16 of writeTimeout and all of it.
func (w *statusWriter) armWrite() {
	if w.conn == nil {
		return
	}
	now := time.Now()
	if !w.armed.IsZero() && now.Sub(w.armed) < min(w.writeTimeout/16, time.Second) {
		return
	}
	w.armed = now
	_ = w.conn.SetWriteDeadline(now.Add(w.writeTimeout))
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.armWrite()
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.armWrite()
	return w.ResponseWriter.Write(b)
}

// FlushError flushes within a write deadline of its own (the SSE streams
// flush every event through http.ResponseController).
func (w *statusWriter) FlushError() error {
	w.armWrite()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// middleware gives every response an X-Request-Id (a recorded call is
// stored under it; on the Messages routes also as Request-Id), logs one line per request (never headers: they carry
// keys), and turns panics into a 500 envelope. routeOf names the route of a
// request the router did not serve (refused before it), "" for none.
func (s *Server) middleware(next http.Handler, routeOf func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, writeTimeout: s.cfg.WriteTimeout}
		sw.conn, _ = w.(writeDeadliner)
		// Armed now too: what the server writes for the handler (100
		// Continue, the headers of an answer without a body, the end of a
		// response) is bounded as well. app clears it once the connection
		// is idle.
		sw.armWrite()
		id := qp.NewID()
		sw.Header().Set("X-Request-Id", id)
		if anthropicPath(r.URL.Path) {
			// Anthropic's name for it, which its SDKs read (a message's
			// _request_id, an error's requestID).
			sw.Header().Set("Request-Id", id)
		}
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				s.log.Error("panic in handler", "path", r.URL.Path, "panic", v)
				if sw.status == 0 {
					writeErrorFor(sw, r, &openai.Error{Status: http.StatusInternalServerError, Type: openai.TypeServer, Code: "internal_error", Message: "internal error"})
				}
			}
			s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration_ms", time.Since(start).Milliseconds(), "request_id", sw.Header().Get("X-Request-Id"))
			if m := s.deps.Metrics; m != nil {
				route := sw.route
				if route == "" {
					route = routeOf(r)
				}
				if route == "" {
					route = "other" // unknown paths would make a label per path
				}
				// By method too: one path serves a model call and a history
				// read (POST and GET /v1/responses), whose times differ.
				method := metrics.MethodLabel(r.Method)
				m.Requests.WithLabelValues(route, method, metrics.StatusLabel(sw.status)).Inc()
				m.RequestDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
			}
		}()
		next.ServeHTTP(sw, r)
	})
}
