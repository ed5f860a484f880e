package e2e

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"qwenproxy/internal/app"
	"qwenproxy/internal/config"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

// env is one proxy in front of one simulator, on a temp database.
type env struct {
	t      testing.TB
	dbURL  string // the SQLite file or the postgres:// URL
	sim    *qwensim.Server
	cfg    *config.Config
	app    *app.App
	client openai.Client
	log    logtest.Buffer // everything the proxy logged, at debug level
}

// logs is what the proxy has logged so far.
func (e *env) logs() string { return e.log.String() }

// start runs a proxy with test-friendly settings on SQLite; edit adjusts
// the config.
func start(t *testing.T, edit func(*config.Config)) *env {
	t.Helper()
	return startWith(t, qwensim.Options{}, edit)
}

// startOn is start on a new database of the backend ("sqlite" or "postgres").
func startOn(t *testing.T, backend string, edit func(*config.Config)) *env {
	t.Helper()
	return startOnWith(t, backend, qwensim.Options{}, edit)
}

// startWith is start with simulator options.
func startWith(t *testing.T, simOpt qwensim.Options, edit func(*config.Config)) *env {
	t.Helper()
	return startOnWith(t, "sqlite", simOpt, edit)
}

func startOnWith(t testing.TB, backend string, simOpt qwensim.Options, edit func(*config.Config)) *env {
	t.Helper()
	dbURL := storetest.MigratedURL(t, backend)
	sim, err := qwensim.Start(simOpt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	vars := map[string]string{
		"PORT":             "0",
		"DATABASE_PATH":    filepath.Join(t.TempDir(), "qwenproxy.db"),
		"DATABASE_URL":     "",
		"QWEN_BASE_URL":    sim.URL,
		"QWEN_TOKEN":       "test-token",
		"QWEN_COOKIES":     "acw_tc=abc; " + qwensim.LoginCookie() + "-secret-cookie",
		"QWEN_TIMEOUT":     "15000", // generous: CI machines are slow under -race
		"RETRY_BASE_DELAY": "1",
		"RETRY_MAX_DELAY":  "20",
		"LOG_LEVEL":        "error",
	}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if backend == "sqlite" {
		cfg.DatabasePath = dbURL
	} else {
		cfg.DatabaseURL = dbURL
	}
	cfg.SpoolPath = cfg.DatabasePath + ".spool"
	if edit != nil {
		edit(cfg)
	}
	e := &env{t: t, dbURL: dbURL, sim: sim, cfg: cfg}
	e.boot()
	t.Cleanup(e.stop)
	return e
}

func (e *env) boot() {
	e.t.Helper()
	// Tests read the debug lines; a benchmark that sets LOG_LEVEL to the
	// production default (info) keeps the debug access log out of its
	// profile.
	level := slog.LevelDebug
	if e.cfg.LogLevel == "info" {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(&e.log, &slog.HandlerOptions{Level: level}))
	a, err := app.Start(context.Background(), e.cfg, log)
	if err != nil {
		e.t.Fatal(err)
	}
	e.app = a
	e.client = openai.NewClient(option.WithBaseURL(a.URL()+"/v1/"), option.WithAPIKey("not-checked"), option.WithMaxRetries(0))
}

func (e *env) stop() {
	if e.app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.app.Shutdown(ctx); err != nil {
		e.t.Errorf("shutdown: %v", err)
	}
	e.app = nil
}

// restart stops the proxy and starts a new one on the same database file.
func (e *env) restart() {
	e.t.Helper()
	e.stop()
	e.cfg.Port = 0
	e.boot()
}

// sync waits until every finished call is in the database, for at most a
// minute: 500 streams' records under the race detector, on 2 cores shared
// with other builds, took over 10 s to write (TestFiveHundredConcurrentStreams
// failed at the earlier bound in two CI runs on a loaded machine).
func (e *env) sync() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.app.Sync(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// db opens the database for reading, as an operator would.
func (e *env) db() *sql.DB {
	e.t.Helper()
	e.sync()
	driver, dsn := "sqlite", "file:"+e.cfg.DatabasePath+"?mode=ro"
	if e.cfg.DatabaseURL != "" {
		driver, dsn = "pgx", e.cfg.DatabaseURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

// row is a joined request+response as stored.
type row struct {
	RequestID, SessionID, Model, Path, Status, FinishReason, ErrorType, Error, ParentID, ChatID   string
	Stream                                                                                        bool
	HTTPStatus, PromptTokens, CompletionTokens, TotalTokens, Attempts, NewChatAttempts, Responses int
	TTFT                                                                                          sql.NullFloat64
	OpenAIRequest, QwenRequest, OpenAIResponse, QwenResponse                                      sql.NullString
}

// rows returns every recorded call, oldest first: in the order the calls
// arrived (their request ids are time-ordered), not the order their records
// were written — a stream cut off is recorded when its handler ends, which
// may be after the client's next call was.
func (e *env) rows() []row {
	e.t.Helper()
	db := e.db()
	rs, err := db.Query(`SELECT q.request_id, COALESCE(q.session_id,''), q.model, q.path, q.stream,
		COALESCE(r.status,''), COALESCE(r.finish_reason,''), COALESCE(r.error_type,''), COALESCE(r.error,''),
		COALESCE(r.parent_id,''), COALESCE(r.chat_id,''), COALESCE(r.http_status,0), COALESCE(r.prompt_tokens,0),
		COALESCE(r.completion_tokens,0), COALESCE(r.total_tokens,0), COALESCE(r.upstream_attempts,0), COALESCE(r.new_chat_attempts,0),
		(SELECT COUNT(*) FROM responses x WHERE x.request_id = q.id), r.ttft_ms
		FROM requests q LEFT JOIN responses r ON r.request_id = q.id
		ORDER BY q.timestamp, q.request_id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.RequestID, &r.SessionID, &r.Model, &r.Path, &r.Stream, &r.Status, &r.FinishReason,
			&r.ErrorType, &r.Error, &r.ParentID, &r.ChatID, &r.HTTPStatus, &r.PromptTokens, &r.CompletionTokens,
			&r.TotalTokens, &r.Attempts, &r.NewChatAttempts, &r.Responses, &r.TTFT); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		e.t.Fatal(err)
	}
	// Bodies are stored as parts and skeletons: read them as every reader
	// does, through the store.
	for i := range out {
		rec, err := e.app.Store().Request(context.Background(), out[i].RequestID)
		if err != nil {
			e.t.Fatal(err)
		}
		text := func(b []byte) sql.NullString { return sql.NullString{String: string(b), Valid: b != nil} }
		out[i].OpenAIRequest, out[i].QwenRequest = text(rec.OpenAIRequest), text(rec.QwenRequest)
		if rec.Response != nil {
			out[i].OpenAIResponse, out[i].QwenResponse = text(rec.Response.OpenAIResponse), text(rec.Response.QwenResponse)
		}
	}
	return out
}

// lastRow is the most recent recorded call; it fails the test if none.
func (e *env) lastRow() row {
	e.t.Helper()
	rows := e.rows()
	if len(rows) == 0 {
		e.t.Fatal("no call recorded")
	}
	return rows[len(rows)-1]
}

// count runs a COUNT query written with ? placeholders.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	if e.cfg.DatabaseURL != "" {
		query = postgres.Rebind(query)
	}
	var n int
	if err := e.db().QueryRow(query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
