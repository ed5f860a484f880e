package server

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/metrics"
	"qwenproxy/internal/openai"
)

// statusWriter remembers the status for the access log. It passes Hijack
// and the other controls through via Unwrap (http.ResponseController).
type statusWriter struct {
	http.ResponseWriter
	status int
	route  string // the route table's path that served the request; "" for none
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// middleware gives every response an X-Request-Id (a recorded call is
// stored under it; to an Anthropic client also as Request-Id), logs one line per request (never headers: they carry
// keys), and turns panics into a 500 envelope. routeOf names the route of a
// request the router did not serve (refused before it), "" for none.
func (s *Server) middleware(next http.Handler, routeOf func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		id := qp.NewID()
		sw.Header().Set("X-Request-Id", id)
		if anthropicClient(r) {
			// Anthropic's name for it, which its SDKs read (a message's
			// _request_id, an error's requestID).
			sw.Header().Set("Request-Id", id)
		}
		defer func() {
			// A handler that cuts its response (http.ErrAbortHandler: an
			// export whose database failed after rows went out) is counted
			// and logged as aborted, then cut by net/http as it asked:
			// until 2026-12-06 it went uncounted, its panic passed on
			// before the line and the metrics, so an export cut mid-way
			// left no trace in either.
			var aborted any
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					aborted = v
				} else {
					s.log.Error("panic in handler", "path", loggedPath(r), "panic", v)
					if sw.status == 0 {
						writeErrorFor(sw, r, &openai.Error{Status: http.StatusInternalServerError, Type: openai.TypeServer, Code: "internal_error", Message: "internal error"})
					}
				}
			}
			// Asked first: the line's values, boxed into Debug's arguments,
			// were three allocations a request with the line not logged.
			// (Debug asks its handler with the background context too.)
			if s.log.Enabled(context.Background(), slog.LevelDebug) {
				args := []any{"method", r.Method, "path", loggedPath(r), "status", sw.status}
				if aborted != nil {
					args = append(args, "aborted", true)
				}
				s.log.Debug("request", append(args, "duration_ms", time.Since(start).Milliseconds(), "request_id", sw.Header().Get("X-Request-Id"))...)
			}
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
				status := metrics.StatusLabel(sw.status)
				switch {
				case aborted != nil:
					status = metrics.StatusAborted // its status went out, and then the response was cut
				case sw.status == 0 && r.Context().Err() != nil:
					// The client left before any answer went out: its
					// call's record says 499, and so does the count (until
					// 2026-12-07 "other", matching no record).
					status = metrics.StatusClientClosed
				case sw.status == 0:
					status = metrics.StatusLabel(http.StatusOK) // nothing written: net/http sends a 200
				}
				m.Requests.WithLabelValues(route, method, status).Inc()
				m.RequestDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
			}
			if aborted != nil {
				panic(aborted)
			}
		}()
		boundBody(w, r, s.cfg.BodyTimeout)
		next.ServeHTTP(sw, r)
	})
}

// boundBody gives a request that declares a body BodyTimeout for it to
// arrive, on every route: after a handler that does not read it (GET
// /health, a 404), net/http reads what is left of it before it answers,
// and without a deadline a client that declared a body and sent none held
// its connection, unanswered, for as long as it kept it open. A handler
// that reads the body (readBounded) lifts the deadline once it has it. A
// request without a body gets none: net/http's read that watches for the
// client leaving would meet it, ending a long answer.
func boundBody(w http.ResponseWriter, r *http.Request, timeout time.Duration) {
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
	}
}

// loggedPath is a request's path as the log may show it: an export
// ticket's download names the ticket, a credential while it waits, so the
// log shows the route alone.
func loggedPath(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, historyapi.DownloadPrefix) {
		return historyapi.DownloadPrefix + "…"
	}
	return r.URL.Path
}
