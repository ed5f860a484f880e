// Package server is the HTTP face of the proxy: the OpenAI-compatible routes,
// health, and the plumbing every call shares (ids, errors, recording).
package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/imagefetch"
	"qwenproxy/internal/keylimit"
	"qwenproxy/internal/metrics"
	"qwenproxy/internal/modelmap"
	"qwenproxy/internal/quietlog"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/recorder"
	"qwenproxy/internal/session"
	"qwenproxy/internal/tools"
)

// Recorder takes finished exchanges; Record must not block.
type Recorder interface {
	Record(qp.Exchange) bool
	// Commit records and returns once the record survives a crash of the
	// process (RECORDER_SYNC).
	Commit(ctx context.Context, e qp.Exchange) error
	// Durable is false while records wait in memory only.
	Durable() bool
	// Sync waits until everything queued so far is written.
	Sync(ctx context.Context) error
	// InDatabase is Sync that fails when some of it is held in memory or
	// spooled, not in the database (see historyapi.Recent).
	InDatabase(ctx context.Context) error
	Stats() recorder.Stats
	// Room says why the recorder may soon fail to write (a full disk
	// under it), "" when it need not: readiness asks it, never a call.
	Room() string
}

// Upstream is the part of the Qwen client the handlers use.
type Upstream interface {
	// NewChatOf opens a Qwen chat of a chat type (qwen.ChatTypeText,
	// Search, Image): the web client opens a search or image chat as such
	// (qwen-2026.md §2.1), not as text.
	NewChatOf(ctx context.Context, model, chatType string) (string, qwen.Attempts, error)
	Complete(ctx context.Context, req *qwen.CompletionRequest) (s *qwen.Stream, sent []byte, attempts qwen.Attempts, err error)
	Models(ctx context.Context) ([]qwen.Model, error)
}

// Config holds the server's own settings.
type Config struct {
	QueueSize    int           // the recorder's queue, for readiness
	MaxBodyBytes int64         // request body limit; default 10 MiB
	BodyTimeout  time.Duration // how long a request body may take to arrive; default a minute
	// MaxInFlight bounds the requests with a body in progress at once
	// (MAX_IN_FLIGHT); default 1024.
	MaxInFlight  int
	ModelsTTL    time.Duration // how long the upstream model list is cached
	DefaultModel string        // used when a request names none
	// UpstreamURL is QWEN_BASE_URL (the simulator's under --mock-upstream):
	// a generated image at its host is fetched whatever its address.
	UpstreamURL string
	ModelMap    []modelmap.Rule       // MODEL_MAP: client model names → Qwen models
	Sorts       historyapi.SortFields // whitelisted sort fields of the history lists
	// HistoryReadTimeout bounds each history read — the history API's,
	// the Responses and Conversations APIs', a turn's of its earlier turns
	// — and an export's each wait for its next rows (HISTORY_READ_TIMEOUT);
	// 0: unbounded.
	HistoryReadTimeout time.Duration
	// RecordBodies stores request and response bodies; a call can opt out
	// with X-Record-Bodies: false.
	RecordBodies bool
	CORSOrigins  []string // allowed browser origins; none: CORS off
	// LoopbackOnly: the server listens on a loopback address only, where
	// it may run without keys; then it answers only Host names a web page
	// cannot take over (see foreignBrowserCall).
	LoopbackOnly bool
	// AllowedHosts are Host names a loopback server answers besides
	// localhost and IP addresses (ALLOWED_HOSTS): a reverse proxy on the
	// same machine that passes its own name on.
	AllowedHosts []string
	// StreamKeepAlive is the longest silence a streaming client sees
	// (STREAM_KEEPALIVE); default 15 s.
	StreamKeepAlive time.Duration
	// MaxDuration bounds a call's whole time, upstream retries and stream
	// included (QWEN_MAX_DURATION); 0: unbounded.
	MaxDuration time.Duration
	// RecordMaxBodyBytes bounds each recorded body (RECORD_MAX_BODY_BYTES);
	// a longer one is stored truncated, with a marker; 0: unbounded.
	RecordMaxBodyBytes int
	// RecorderSync holds a call's final bytes until its record survives a
	// crash of the process (RECORDER_SYNC).
	RecorderSync bool
	// RecordingRequired refuses calls with 503 while records cannot be kept
	// durably (RECORDING_REQUIRED).
	RecordingRequired bool
	// Capabilities configures web search sources and images in and out.
	Capabilities CapabilitiesConfig
	// SharedDatabase: the history is a database other instances write to
	// as well (DATABASE_URL), so a call answered a moment ago may be in
	// another instance's recorder, not yet in the database.
	SharedDatabase bool
	// RecorderLinger is how long the recorder waits to commit
	// (RECORDER_LINGER): on a shared database, taken for the other
	// instances' too, which run with the same settings.
	RecorderLinger time.Duration
}

// StoreChecker is the database as /health sees it: Probe makes a real write
// and read and returns what failed, without waiting on the check (and save)
// of a file deleted under the server, which runs in the background
// (sqlstore.Store.Probe).
type StoreChecker interface {
	Probe(ctx context.Context) error
}

// Deps are the collaborators of the server.
type Deps struct {
	Upstream    Upstream
	Credentials qwen.CredentialSource
	Accounts    *accounts.Pool // the Qwen accounts calls are made as
	Sessions    *session.Manager
	Recorder    Recorder
	Store       StoreChecker
	History     qp.HistoryStore
	// Tickets keeps the dashboard's export tickets (shared between
	// instances on one database).
	Tickets qp.ExportTicketStore
	// ResponseObjects keeps the Responses API objects deleted by their
	// owners.
	ResponseObjects qp.ResponseObjectStore
	// Conversations keeps the Conversations API's objects.
	Conversations qp.ConversationStore
	Keys          *auth.Keys // nil: no proxy API keys
	// KeyCalls counts limited keys' calls in flight (nil: on this
	// instance alone).
	KeyCalls *keylimit.Limiter
	Metrics  *metrics.Metrics // nil: no /metrics
	Log      *slog.Logger
}

// Server serves the API.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	models  *modelCache
	started time.Time
	now     func() time.Time
	calls   inflight // recorded calls in progress
	// admission bounds the requests with a body in progress (admit).
	admission admission
	// keyCalls counts the calls in flight of keys with a limit.
	keyCalls *keylimit.Limiter
	live     active // the same calls, described for the dashboard
	history  *historyapi.API
	images   *imagefetch.Fetcher
	schemas  *tools.Schemas // declared tools' parameter schemas found valid
	files    chatFiles      // images uploaded per Qwen chat
	// rejected is Qwen's last refusal of each account's credentials, until
	// that account's next success.
	rejected rejections
	// base is the context every request derives from; cutCalls cancels it
	// with ErrShuttingDown when shutdown can wait no longer.
	base     context.Context
	cutCalls context.CancelCauseFunc
	// faultLog logs calls failed by the proxy or its database with their
	// cause; syncLog answers given before their records were durable. Both
	// recur on every call while their fault lasts.
	faultLog, syncLog quietlog.Log
	// releases lets go of the conversations' locks their calls could not.
	releases releases
	// warnedTargets are the configured models already logged as missing
	// from Qwen's list (warnUnlistedTargets), so a renewed list repeats none.
	warnedMu      sync.Mutex
	warnedTargets map[string]bool
}

// New returns a Server.
func New(cfg Config, deps Deps) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 10 << 20
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = time.Minute
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 1024
	}
	if cfg.DefaultModel == "" {
		cfg.DefaultModel = "qwen3-max"
	}
	if cfg.StreamKeepAlive <= 0 {
		cfg.StreamKeepAlive = 15 * time.Second
	}
	cfg.Capabilities.defaults()
	cc := cfg.Capabilities
	base, cut := context.WithCancelCause(context.Background())
	s := &Server{cfg: cfg, deps: deps, log: deps.Log, models: newModelCache(deps.Upstream, cfg.ModelsTTL),
		started: time.Now(), now: time.Now, base: base, cutCalls: cut,
		images:  imagefetch.New(imagefetch.Policy(cc.AllowImageURLs), cc.ImageMaxBytes, cc.ImageFetchTimeout),
		schemas: tools.NewSchemas(), keyCalls: deps.KeyCalls, admission: newAdmission(cfg.MaxInFlight)}
	s.models.listed = s.warnUnlistedTargets
	if s.keyCalls == nil {
		s.keyCalls = keylimit.New(keylimit.Options{Log: deps.Log})
	}
	s.history = historyapi.New(historyapi.Deps{History: deps.History, Tickets: deps.Tickets, Sessions: deps.Sessions, Recorder: deps.Recorder,
		Sorts: cfg.Sorts, Log: deps.Log, Now: func() time.Time { return s.now() }, KeyValid: s.mayReadHistory,
		Conversations: deps.Conversations, ReadTimeout: cfg.HistoryReadTimeout})
	// The history API bounds its own reads (an export's per wait); the
	// server's other reads of the history are bounded by the stores'
	// wrappers (bounded.go).
	s.deps = boundReads(deps, cfg.HistoryReadTimeout)
	return s
}

// BaseContext is the context of every request (http.Server.BaseContext).
func (s *Server) BaseContext(net.Listener) context.Context { return s.base }

// CutCalls cancels every call in progress, which is then recorded as cut by
// shutdown (error type shutting_down), not as a client that left.
func (s *Server) CutCalls() { s.cutCalls(ErrShuttingDown) }

// Handler returns the routed, logged, panic-safe handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	table := s.routes()
	s.mount(mux, table)
	hints := newBaseURLHints(table)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if apiErr := unsupportedAPI(r); apiErr != nil {
			writeErrorFor(w, r, apiErr)
			return
		}
		writeErrorFor(w, r, hints.notFound(r))
	})
	// A call the key guard refuses never reaches the router, which names
	// the route; the metrics ask the router which route it would have been.
	routeOf := func(r *http.Request) string {
		if _, pattern := mux.Handler(r); pattern != "/" {
			return pattern
		}
		return ""
	}
	return s.middleware(s.guard(mux), routeOf)
}

// InFlight is the number of requests with a body in progress (admit).
func (s *Server) InFlight() int { return len(s.admission.places) }

// WaitCalls returns when every recorded call in progress has been handed to
// the recorder. Shutdown uses it before draining the recorder.
func (s *Server) WaitCalls() { s.calls.wait() }
