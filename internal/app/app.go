// Package app wires the proxy together from its configuration: store,
// recorder, upstream client, sessions and HTTP server. `qwenproxy serve` and
// the end-to-end tests start the service through it, so tests run exactly
// what users run.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/config"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/keylimit"
	"qwenproxy/internal/metrics"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/recorder"
	"qwenproxy/internal/server"
	"qwenproxy/internal/session"
	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
)

// App is a running proxy.
type App struct {
	cfg       *config.Config
	log       *slog.Logger
	store     *sqlstore.Store
	recorder  *recorder.Recorder
	api       *server.Server
	http      *http.Server
	ln        net.Listener
	sim       *qwensim.Server
	accounts  *accounts.Pool
	stop      context.CancelFunc
	served    chan error
	unlock    []func()   // the locks on the database and the spool files themselves
	lockFiles []*pidLock // the database's and the spool's lock files
	started   bool       // Start succeeded: the lock files keep our pid when released
	fileHeld  bool       // the SQLite file itself is locked (holdDatabaseFile)
	spoolHeld bool       // the spool file itself is locked (holdSpoolFile)
}

// Start opens the database (applying migrations), starts the recorder and
// listens. The server accepts calls when Start returns.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger) (_ *App, err error) {
	a := &App{cfg: cfg, log: log, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			a.closeResources()
		}
	}()
	envCreds := qwen.Credentials{Token: cfg.QwenToken, Cookies: cfg.QwenCookies}
	cookieAdvice := "" // the pool's own: copy a fresh Cookie header
	if cfg.MockUpstream {
		cookieAdvice = simulatedCookieAdvice
		if a.sim, err = qwensim.Start(qwensim.Options{EventDelay: cfg.MockEventDelay, MaxChats: mockMaxChats, NoCallLog: true}); err != nil {
			return nil, err
		}
		if cfg.QwenBaseURL != config.DefaultQwenBaseURL {
			// Both asked for: the simulator wins, and says so (a second
			// instance meant to share another's simulator runs without
			// --mock-upstream, with --qwen-base-url naming it).
			log.Warn("--mock-upstream serves the built-in simulator: QWEN_BASE_URL (--qwen-base-url) is not used; to call another simulator, leave out --mock-upstream",
				"qwen_base_url", cfg.QwenBaseURL)
		}
		cfg.QwenBaseURL = a.sim.URL
		for _, l := range cfg.QwenAccounts {
			a.sim.AddAccount(l.Email, l.Password) // so that QWEN_ACCOUNTS can be tried too
		}
		if !envCreds.Configured() && len(cfg.QwenAccounts) == 0 {
			// The simulator checks the form of the credentials, not their value.
			envCreds = qwen.Credentials{Cookies: qwensim.LoginCookie()}
		}
		log.Info("using the built-in Qwen simulator", "url", a.sim.URL)
	}
	// What can fail without touching anything goes first: the address, the
	// host, the locks. A failed start creates no database and no spool, and
	// leaves the lock files as it found them (releaseLocks).
	if a.ln, err = listen(cfg); err != nil {
		return nil, err
	}
	a.ln = server.QuietAccepts(server.HeaderLimitAnswers(server.WriteDeadlines(a.ln, cfg.WriteTimeout), server.MaxHeaderBytes), log)
	if err := checkHost(cfg); err != nil {
		return nil, err
	}
	if err := a.lock(cfg); err != nil {
		return nil, err
	}
	restored := 0 // migrations the open applied to a file it made beside a save
	if a.store, err = openStore(ctx, cfg, log, func(r sqlite.RestoredSave) { restored = logRestored(r, log) }); err != nil {
		return nil, err
	}
	if err := a.holdDatabaseFile(cfg); err != nil { // a file the open made
		return nil, err
	}
	warnIncompleteSaves(a.store, log)
	warnSaves(a.store, log)
	if err := checkStoredKeys(ctx, cfg, a.store); err != nil {
		return nil, err
	}
	n, err := a.store.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	n += restored
	if why := envCreds.Incomplete(); why != "" {
		log.Warn(unusedCredentials(cfg.QwenCookies, cfg.QwenToken) + " but not used: " + why)
	}
	if envCreds.TokenMisplaced() {
		log.Warn("QWEN_TOKEN holds a login token (a JWT), not a bx-umidtoken: it is used as the login token; put it in QWEN_COOKIES as token=… instead")
	}
	if cleartext(cfg.QwenBaseURL) {
		log.Warn("QWEN_BASE_URL is plain http to another machine: every call's Cookie header and login token, and every sign-in's password digest, cross the network unencrypted; use https",
			"qwen_base_url", cfg.QwenBaseURL)
	}
	bg, stop := context.WithCancel(context.Background())
	a.stop = stop
	pool := PoolConfig(cfg, a.store)
	pool.Credentials, pool.Logins, pool.Cookie, pool.Log = a.store, cfg.QwenAccounts, envCreds, log
	pool.CookieAdvice = cookieAdvice
	a.accounts = accounts.New(pool)
	a.accounts.Start(bg)
	creds := a.accounts
	log.Info("database ready", "backend", a.store.Backend(), "database", a.store.String(), "migrations_applied", n)

	keys, err := auth.New(ctx, cfg.APIKeys, cfg.AdminAPIKeys, a.store)
	if err != nil {
		return nil, err
	}
	if !loopback(cfg.Host) && !keys.Enabled(ctx) && !cfg.AllowUnauthenticated {
		return nil, errUnauthenticated(cfg.Host)
	}
	m := metrics.New()
	a.recorder, err = recorder.New(a.store, log, recorderOptions(cfg, m.Commit))
	if err != nil {
		return nil, err
	}
	if err := a.holdSpoolFile(cfg); err != nil { // a file the recorder made
		return nil, err
	}
	sessions := session.NewManager(a.store, a.store.Locker(), a.recorder.SaveSession, cfg.SessionTimeout, qp.NewID)
	sessions.LogTo(log)
	sessions.Bound(cfg.SessionCacheSize, func(ctx context.Context) bool {
		// Evict only what the database has: everything saved is committed.
		if err := a.recorder.Sync(ctx); err != nil {
			return false
		}
		st := a.recorder.Stats()
		return st.SpoolBytes == 0 && st.Held == 0
	})
	failures := qwen.NewFailureLog(log, time.Minute)
	upstream := qwen.New(qwen.Config{
		BaseURL: cfg.QwenBaseURL, UserAgent: cfg.UserAgent, WebVersion: cfg.QwenWebVersion, Credentials: creds, Timeout: cfg.QwenTimeout, IdleTimeout: cfg.QwenIdleTimeout,
		MaxAnswerBytes: cfg.QwenMaxAnswerBytes,
		MaxRetries:     cfg.MaxRetries, RetryBase: cfg.RetryBaseDelay, RetryMax: cfg.RetryMaxDelay, RetryHere: a.accounts.RetryHere,
		OnCall: func(ctx context.Context, endpoint string, err error) {
			if accounts.ClassOf(err) != accounts.ClassAuth { // the pool logs refusals: a token it refreshes is none
				failures.NoteFor(endpoint, err, func(err error) qwen.Diagnosis { return diagnoseAs(accounts.From(ctx), err) })
			}
			m.UpstreamCall(endpoint, outcome(err))
			a.api.UpstreamResult(accounts.From(ctx), err)
		},
		// An answer that broke off after it opened: its record says so,
		// and the operator hears of it as of any failure of Qwen's.
		OnStreamFailure: func(err error) { failures.Note("completions_stream", err) },
	})
	observe(m, a.recorder, sessions)
	m.ObserveAccounts(a.accounts.Snapshot)
	// Instances sharing a PostgreSQL database count limited keys' calls in
	// flight there, one limit between them; one on SQLite is alone (the
	// file is locked to it) and counts them in memory.
	var keyCallStore qp.KeyCallStore
	if a.store.Backend() == "postgres" {
		keyCallStore = a.store
	}
	keyCalls := keylimit.New(keylimit.Options{Store: keyCallStore, Log: log})
	sorts := historyapi.SortFields{}
	sorts.Sessions, sorts.Requests, sorts.Responses = sqlstore.SortFields()
	a.api = server.New(server.Config{QueueSize: cfg.RecorderQueueSize, MaxBodyBytes: cfg.MaxBodyBytes, MaxInFlight: cfg.MaxInFlight, ModelsTTL: cfg.ModelsCacheTTL, DefaultModel: cfg.DefaultModel, UpstreamURL: cfg.QwenBaseURL, ModelMap: cfg.ModelMap, Sorts: sorts, HistoryReadTimeout: cfg.HistoryReadTimeout,
		RecordBodies: cfg.RecordBodies, CORSOrigins: cfg.CORSOrigins, LoopbackOnly: loopback(cfg.Host), AllowedHosts: cfg.AllowedHosts, StreamKeepAlive: cfg.StreamKeepAlive,
		RecorderSync: cfg.RecorderSync, RecordingRequired: cfg.RecordingRequired, MaxDuration: cfg.QwenMaxDuration, RecordMaxBodyBytes: cfg.RecordMaxBodyBytes,
		SharedDatabase: cfg.DatabaseURL != "", RecorderLinger: cfg.RecorderLinger,
		Capabilities: server.CapabilitiesConfig{SearchSources: cfg.SearchSources, AllowImageURLs: cfg.AllowImageURLs, ImageMaxBytes: cfg.ImageMaxBytes, ImageMaxCount: cfg.ImageMaxCount,
			ImageFetchTimeout: cfg.ImageFetchTimeout, RecordImageBytes: cfg.RecordImageBytes, ImageTimeout: cfg.ImageTimeout,
			DocumentMaxBytes: cfg.DocumentMaxBytes, ContextFileBytes: cfg.ContextFileBytes}},
		server.Deps{Upstream: upstream, Credentials: creds, Accounts: a.accounts, Sessions: sessions, Recorder: a.recorder, Store: a.store, History: a.store, Tickets: a.store, ResponseObjects: a.store, Conversations: a.store,
			Keys: keys, KeyCalls: keyCalls, Metrics: m, Log: log})
	m.Observe("qwenproxy_requests_in_flight", "Requests with a body in progress (MAX_IN_FLIGHT bounds them).", prometheus.GaugeValue,
		func() float64 { return float64(a.api.InFlight()) })

	// Conversations made before migration 0035 kept their items as sent:
	// kept as a call's record keeps them before any call reads them.
	if n, err := a.store.KeepConversationItems(ctx, a.api.RecordedForm); err != nil {
		log.Warn("the items of conversations made by an earlier version are not yet kept as records keep them; the next start tries again", "conversations_done", n, "err", err)
	} else if n > 0 {
		log.Info("kept the items of conversations made by an earlier version as records keep them", "conversations", n)
	}

	a.http = &http.Server{
		Handler:           a.api.Handler(),
		ReadHeaderTimeout: cfg.HeaderTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    server.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       a.api.BaseContext,
		// No WriteTimeout: it would cut long streams. Each write has a
		// deadline of its own instead (WRITE_TIMEOUT, server.WriteDeadlines).
	}
	if cfg.DeleteChats {
		sessions.DeleteChatsWith(func(ctx context.Context, s qp.Session) error {
			return upstream.DeleteChat(accounts.With(ctx, s.Account), s.ChatID)
		})
	}
	go sessions.RunCleanup(bg, cfg.SessionCleanupInterval, log)
	go keys.Run(bg, log)
	go keyCalls.Run(bg)
	go runRetention(bg, a.store, retention{maxAge: time.Duration(cfg.RetentionDays) * 24 * time.Hour,
		maxBytes: cfg.RetentionMaxBytes, interval: cfg.RetentionInterval}, log)
	go reencodeBodies(bg, a.store, log)
	go indexItemIDs(bg, a.store, log)
	go func() { a.served <- a.http.Serve(a.ln) }()
	snapshot := a.accounts.Snapshot()
	log.Info("listening", "addr", a.Addr(), "upstream", cfg.QwenBaseURL, "qwen_web_version", cfg.QwenWebVersion,
		"qwen_accounts", len(snapshot), "qwen_mode", startMode(snapshot))
	if len(snapshot) == 0 { // neither the environment nor the database has any: every model call would be a 503
		log.Warn("no Qwen credentials are configured: model calls are answered 503 credentials_missing until some are",
			"advice", "set QWEN_ACCOUNTS or QWEN_COOKIES and restart, or store them with `qwenproxy accounts add` or `qwenproxy credentials set` (a running server takes those within seconds); `qwenproxy doctor` checks them")
	}
	a.started = true
	return a, nil
}

// startMode is the mode the calls are made in, for the start's log line:
// the pasted cookie's (normal, or guest without a login token), else that
// of the accounts the proxy signs in (normal); "locked" when every account
// is a stored secret this process cannot open, which has no mode (the line
// said qwen_mode="", the locked cookie's, even beside accounts that serve);
// "" with no account at all (a warning follows).
func startMode(snapshot []accounts.Status) string {
	mode, locked := "", 0
	for _, st := range snapshot {
		if st.State == accounts.StateLocked {
			locked++
			continue
		}
		if mode == "" || st.ID == accounts.CookieID {
			mode = st.Mode // the pasted cookie's decides (signed-in accounts are always normal)
		}
	}
	if mode == "" && locked > 0 {
		return accounts.StateLocked
	}
	return mode
}

// SyncAccounts exchanges the Qwen accounts' state with the database now
// (it otherwise happens every few seconds and after each state change).
func (a *App) SyncAccounts(ctx context.Context) error { return a.accounts.Sync(ctx) }

// Addr is the address the server listens on.
func (a *App) Addr() string { return a.ln.Addr().String() }

// URL is the base URL of the server.
func (a *App) URL() string { return "http://" + a.Addr() }

// Store is the app's database, for tools and tests that inspect it.
func (a *App) Store() *sqlstore.Store { return a.store }

// mockMaxChats bounds the chats the built-in simulator keeps (the least
// recently used deleted first, as a user deleting old chats would; the proxy
// opens a new chat for a session whose chat is gone): it serves for as long
// as the server runs, and each chat holds its whole conversation.
const mockMaxChats = 10_000

// Simulator is the built-in simulator when started with MockUpstream.
func (a *App) Simulator() *qwensim.Server { return a.sim }

// Recorder exposes the recorder's counters.
func (a *App) Recorder() *recorder.Recorder { return a.recorder }

// Sync returns once every call finished so far is committed to the
// database.
func (a *App) Sync(ctx context.Context) error {
	a.api.WaitCalls()
	return a.recorder.Sync(ctx)
}

// cutCallsGrace bounds how long calls cut at the shutdown deadline have to
// write their error to their clients (one that does not read holds it).
const cutCallsGrace = 2 * time.Second

// Shutdown stops accepting calls, lets those in progress finish until ctx
// ends (then cuts them: their clients are told, and they are recorded as
// such), writes every queued record, and closes the database.
func (a *App) Shutdown(ctx context.Context) error {
	var errs []error
	if err := a.http.Shutdown(ctx); err != nil {
		a.log.Warn("calls still running at the shutdown deadline; closing them", "err", err)
		a.api.CutCalls() // recorded as cut by shutdown, not as clients that left
		// The cut calls tell their clients (a 503, a stream's error event)
		// before the connections close: closed at once, a client got an
		// empty reply where the record said 503.
		grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), cutCallsGrace)
		if err := a.http.Shutdown(grace); err != nil {
			a.http.Close()
		}
		cancel()
	}
	a.api.WaitCalls()
	// The conversations' locks calls could not let go are tried once more
	// while the database is open.
	a.api.StopReleases()
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := a.recorder.Close(drainCtx); err != nil {
		errs = append(errs, err)
	}
	st := a.recorder.Stats()
	a.log.Info("recorder drained", "written", st.Written, "spooled", st.Spooled, "spool_bytes", st.SpoolBytes, "dropped", st.Dropped)
	if err := <-a.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve: %w", err))
	}
	a.closeResources()
	return errors.Join(errs...)
}

func (a *App) closeResources() {
	if a.stop != nil {
		a.stop()
	}
	if a.ln != nil && a.http == nil { // a failed start: never served
		a.ln.Close()
	}
	defer a.releaseLocks()
	if a.accounts != nil {
		a.accounts.Wait() // its last state exchange ends before the database closes
	}
	if a.recorder != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = a.recorder.Close(ctx) // after Shutdown's drain this returns at once
		cancel()
	}
	if a.store != nil {
		closeStore := a.store.Close
		if !a.started {
			// A failed start creates no database: one its open made
			// (a new SQLite file) goes, before the locks (and the
			// directories made for them) are let go.
			closeStore = a.store.Discard
		}
		if err := closeStore(); errors.Is(err, sqlite.ErrWALKept) {
			// The stop's promise (README, Backups: the file alone whole)
			// is not kept: said at error level, whatever else went well.
			a.log.Error("database file not whole: its -wal could not be checkpointed into it; keep the -wal beside it", "err", err)
		} else if err != nil {
			a.log.Warn("close database", "err", err)
		}
	}
	if a.sim != nil {
		a.sim.Close()
	}
}

// retention is what the background sweep keeps: calls younger than maxAge
// (0: any age) in at most maxBytes (0: any size).
type retention struct {
	maxAge   time.Duration
	maxBytes int64
	interval time.Duration
}

// runRetention, every interval, deletes calls older than maxAge, then the
// oldest while the history is over maxBytes, in small batches (each its own
// short transaction, so recording is never held off for long), removes body
// parts no call uses any more, and gives the space back.
func runRetention(ctx context.Context, store *sqlstore.Store, r retention, log *slog.Logger) {
	sweep := func() {
		deleted := 0
		if r.maxAge > 0 {
			n, err := store.DeleteRequestsBefore(ctx, time.Now().Add(-r.maxAge), 500, nil)
			deleted += n
			if err != nil {
				log.Warn("retention sweep failed", "deleted", n, "err", err)
				return
			}
		}
		if r.maxBytes > 0 {
			n, err := store.DeleteOldestOver(ctx, r.maxBytes, 500)
			deleted += n
			if err != nil {
				log.Warn("retention by size failed", "deleted", n, "err", err)
				return
			}
		}
		parts, err := store.DeleteUnusedParts(ctx, time.Now().Add(-store.PartGrace()))
		if err != nil {
			log.Warn("retention: removing unused body parts failed", "err", err)
			return
		}
		if deleted > 0 || parts > 0 {
			// The parts the deleted calls alone used go with them (on
			// SQLite at once); leftover_body_parts counts those found
			// unused afterwards (on PostgreSQL, after their grace).
			log.Info("retention: deleted old calls", "deleted", deleted, "leftover_body_parts", parts)
			if err := store.ReclaimSpace(ctx); err != nil {
				log.Warn("retention: reclaim space failed", "err", err)
			}
		}
	}
	sweep()
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			sweep()
		}
	}
}

// reencodeBodies moves bodies recorded before bodies were stored once
// (migration 0008) into the new form, in the background, logging progress;
// stopped, the next start resumes it.
func reencodeBodies(ctx context.Context, store *sqlstore.Store, log *slog.Logger) {
	last := time.Now()
	p, err := store.ReencodeBodies(ctx, 200, func(p sqlstore.ReencodeProgress) {
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			log.Info("re-encoding recorded bodies", "done", p.Done, "total", p.Total)
		}
	})
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("re-encoding recorded bodies stopped", "done", p.Done, "total", p.Total, "err", err)
		}
		return
	}
	if p.Total > 0 {
		log.Info("re-encoded recorded bodies", "done", p.Done, "total", p.Total)
	}
}

// indexItemIDs indexes the item ids of the conversations made before
// migration 0043 (their items added straight), then of the Responses calls
// recorded before migration 0041, in the background, logging progress;
// stopped, the next start resumes it. Until it is done an item_reference
// also looks in the key's latest calls, as it did before the index; an item
// added to a conversation is found from its conversation.
func indexItemIDs(ctx context.Context, store *sqlstore.Store, log *slog.Logger) {
	if n, err := store.IndexConversationItemIDs(ctx); err != nil {
		if ctx.Err() == nil {
			log.Warn("indexing item ids of conversations stopped; the next start goes on", "conversations_done", n, "err", err)
		}
	} else if n > 0 {
		log.Info("indexed item ids of conversations made by an earlier version", "conversations", n)
	}
	last := time.Now()
	p, err := store.IndexItemIDs(ctx, 200, func(p sqlstore.ItemIDProgress) {
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			log.Info("indexing item ids of recorded responses", "done_through_id", p.Done, "up_to_id", p.Total)
		}
	})
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("indexing item ids of recorded responses stopped", "done_through_id", p.Done, "up_to_id", p.Total, "err", err)
		}
		return
	}
	if p.Done > 0 {
		log.Info("indexed item ids of recorded responses", "up_to_id", p.Total)
	}
}

// recorderOptions are the recorder's settings from the configuration.
func recorderOptions(cfg *config.Config, onCommit func(int, time.Duration)) recorder.Options {
	o := recorder.Options{QueueSize: cfg.RecorderQueueSize, BatchSize: cfg.RecorderBatchSize, Linger: cfg.RecorderLinger,
		SpoolPath: cfg.SpoolPath, MemoryBudget: cfg.RecorderMemoryBudget, OnCommit: onCommit}
	if cfg.DatabaseURL == "" {
		o.Disks = []string{cfg.DatabasePath} // readiness watches its disk's free space
	}
	if cfg.RecorderSync || cfg.RecorderLinger == 0 {
		// With RECORDER_SYNC callers wait: commit what is there at once;
		// what queues during a commit shares the next one.
		o.Linger = -1 // the recorder's "never wait" (its zero is the default)
	}
	return o
}

// loopback reports whether host only reaches this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// outcome names an upstream attempt's result for the metrics.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	if qe, ok := qwen.AsError(err); ok {
		return string(qe.Kind)
	}
	return "canceled"
}

// observe exposes state kept elsewhere as metrics, read when scraped.
func observe(m *metrics.Metrics, r *recorder.Recorder, s *session.Manager) {
	stat := func(f func(recorder.Stats) float64) func() float64 { return func() float64 { return f(r.Stats()) } }
	m.Observe("qwenproxy_recorder_queue_depth", "Records waiting for the database writer.", prometheus.GaugeValue,
		stat(func(s recorder.Stats) float64 { return float64(s.Queued) }))
	m.Observe("qwenproxy_recorder_spool_bytes", "Bytes waiting in the spool for the database.", prometheus.GaugeValue,
		stat(func(s recorder.Stats) float64 { return float64(s.SpoolBytes) }))
	m.Observe("qwenproxy_recorder_written_total", "Calls committed to the database.", prometheus.CounterValue,
		stat(func(s recorder.Stats) float64 { return float64(s.Written) }))
	m.Observe("qwenproxy_recorder_spooled_total", "Records put in the spool.", prometheus.CounterValue,
		stat(func(s recorder.Stats) float64 { return float64(s.Spooled) }))
	m.Observe("qwenproxy_recorder_replayed_total", "Records written from the spool.", prometheus.CounterValue,
		stat(func(s recorder.Stats) float64 { return float64(s.Replayed) }))
	m.Observe("qwenproxy_recorder_dropped_total", "Calls lost: neither the database, the spool nor memory (RECORDER_MEMORY_BUDGET) kept them.", prometheus.CounterValue,
		stat(func(s recorder.Stats) float64 { return float64(s.Dropped) }))
	m.Observe("qwenproxy_recorder_held_bytes", "Bytes of records kept in memory because neither the database nor the spool takes them.", prometheus.GaugeValue,
		stat(func(s recorder.Stats) float64 { return float64(s.HeldBytes) }))
	m.Observe("qwenproxy_recorder_corrupt_spool_lines_total", "Unreadable spool lines set aside in the spool's .corrupt file.", prometheus.CounterValue,
		stat(func(s recorder.Stats) float64 { return float64(s.Corrupt) }))
	m.Observe("qwenproxy_recorder_rejected_total", "Records the database refuses for what they hold, set aside in the spool's .rejected file.", prometheus.CounterValue,
		stat(func(s recorder.Stats) float64 { return float64(s.Rejected) }))
	m.Observe("qwenproxy_sessions_in_memory", "Conversations held in memory.", prometheus.GaugeValue,
		func() float64 { return float64(s.Cached()) })
	m.Observe("qwenproxy_session_turns_in_progress", "Conversations with a turn in progress or waiting.", prometheus.GaugeValue,
		func() float64 { return float64(s.Active()) })
}

// checkHost refuses a non-loopback address without API keys (unless
// allowed) before anything is created: when no key is in the environment
// and there is no database file yet, no stored key can exist either.
func checkHost(cfg *config.Config) error {
	if loopback(cfg.Host) || cfg.AllowUnauthenticated || len(cfg.APIKeys)+len(cfg.AdminAPIKeys) > 0 || cfg.DatabaseURL != "" {
		return nil
	}
	if _, err := os.Stat(cfg.DatabasePath); errors.Is(err, os.ErrNotExist) {
		if saved, _ := sqlite.NewestSave(cfg.DatabasePath); saved != "" {
			return nil // the keys the open brings from it decide (sqlite.Open)
		}
		return errUnauthenticated(cfg.Host)
	}
	return nil // the stored keys decide, once the database is open
}

// checkStoredKeys refuses, before any migration touches the database, a
// non-loopback start whose only possible keys would be stored ones and whose
// database stores none. A database too old to have the api_keys table
// (migration 3) stores none.
func checkStoredKeys(ctx context.Context, cfg *config.Config, st *sqlstore.Store) error {
	if loopback(cfg.Host) || cfg.AllowUnauthenticated || len(cfg.APIKeys)+len(cfg.AdminAPIKeys) > 0 {
		return nil
	}
	status, err := st.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("read the database's migrations: %w", err)
	}
	for _, m := range status {
		if m.Version == apiKeysMigration && !m.AppliedAt.IsZero() {
			// Counted, not read whole: the migrations after 0003 have
			// not run yet, and a later column may be missing.
			stored, err := st.HasAPIKeys(ctx)
			if err != nil {
				return err
			}
			if stored {
				return nil
			}
		}
	}
	return errUnauthenticated(cfg.Host)
}

// apiKeysMigration is the migration that creates the api_keys table.
const apiKeysMigration = 3

// Signer signs cfg's Qwen accounts in as the web client does (its Version
// header, QWEN_WEB_VERSION, included): the server's, and the CLI's, made
// in one place so that none lacks a header the others send.
func Signer(cfg *config.Config) *accounts.Signer {
	return &accounts.Signer{BaseURL: cfg.QwenBaseURL, UserAgent: cfg.UserAgent, WebVersion: cfg.QwenWebVersion,
		HTTP: qwen.NewHTTPClient()}
}

func errUnauthenticated(host string) error {
	where := host
	if host == "" { // Go listens on every address then
		where = "every address (an empty --host)"
	}
	return fmt.Errorf("refusing to listen on %s without API keys: set API_KEYS (or `qwenproxy keys add`), or pass --allow-unauthenticated", where)
}

// lock makes this process the only server on its SQLite file and the only
// user of its spool: a second `serve` on either refuses to start. The
// database is locked twice, by its lock file and by the file itself, so
// that a lock file removed under a running server lets no second one in.
// The CLI takes no lock: its reads stay allowed while a server runs.
func (a *App) lock(cfg *config.Config) error {
	if cfg.DatabaseURL == "" {
		l, err := lockFile(lockName(cfg.DatabasePath))
		if errors.Is(err, errLocked) {
			return errServed(cfg, err)
		}
		if err != nil {
			return lockPlaceRefused("the database", cfg.DatabasePath, err)
		}
		a.lockFiles = append(a.lockFiles, l)
		if err := a.holdDatabaseFile(cfg); err != nil {
			return err
		}
	}
	if cfg.SpoolPath == "" { // no spool (the recorder's empty path): nothing to share
		a.claimLocks()
		return nil
	}
	if cfg.DatabaseURL == "" {
		// The spool sets aside what it cannot read: the -wal it was
		// pointed at went, with the writes not yet checkpointed.
		if f := sqlite.FileOf(cfg.DatabasePath, cfg.SpoolPath); f != "" {
			return fmt.Errorf("RECORDER_SPOOL %s is the database's own file %s: give the spool a file of its own", cfg.SpoolPath, f)
		}
	}
	l, err := lockFile(lockName(cfg.SpoolPath))
	if errors.Is(err, errLocked) {
		return errSpoolShared(cfg, err)
	}
	if err != nil {
		return lockPlaceRefused("the recorder's spool (RECORDER_SPOOL)", cfg.SpoolPath, err)
	}
	a.lockFiles = append(a.lockFiles, l)
	if err := checkSpool(cfg.SpoolPath); err != nil {
		return err
	}
	if err := a.holdSpoolFile(cfg); err != nil {
		return err
	}
	a.claimLocks()
	return nil
}

// claimLocks writes our pid in the lock files once we hold them all: a
// start refused by one of them wrote it in none, and the files still name
// their holder (releaseLocks puts back what a later failure changed).
func (a *App) claimLocks() {
	for _, l := range a.lockFiles {
		l.claim()
	}
}

// releaseLocks lets every lock go, once the database is closed (closing a
// descriptor of its file drops SQLite's own locks); those of a start that
// failed are abandoned: each lock file as the start found it.
func (a *App) releaseLocks() {
	for _, unlock := range a.unlock {
		unlock()
	}
	for i := len(a.lockFiles) - 1; i >= 0; i-- { // the last first: a directory made for the first may hold the others
		if l := a.lockFiles[i]; a.started {
			l.release()
		} else {
			l.abandon()
		}
	}
	a.unlock, a.lockFiles = nil, nil
}

// holdDatabaseFile locks the SQLite file itself, once it exists: at the
// start's lock when it does, else once the store's open made it. A lock
// file removed under the server then still lets no second one in.
func (a *App) holdDatabaseFile(cfg *config.Config) error {
	if cfg.DatabaseURL != "" {
		return nil
	}
	return a.holdFile(cfg.DatabasePath, &a.fileHeld, func(err error) error { return errServed(cfg, err) })
}

// holdSpoolFile is holdDatabaseFile for the spool: locked at the start's
// lock when it exists, else once the recorder made it.
func (a *App) holdSpoolFile(cfg *config.Config) error {
	if cfg.SpoolPath == "" {
		return nil
	}
	return a.holdFile(cfg.SpoolPath, &a.spoolHeld, func(err error) error { return errSpoolShared(cfg, err) })
}

// holdFile locks the file at path itself (lockHeldFile) unless *held says
// it is locked already or it does not exist yet; refused words errLocked.
func (a *App) holdFile(path string, held *bool, refused func(error) error) error {
	if *held {
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	unlock, err := lockHeldFile(path)
	if errors.Is(err, errLocked) {
		return refused(err)
	}
	if err != nil {
		return fileRefused(err)
	}
	a.unlock = append(a.unlock, unlock)
	*held = true
	return nil
}

// errSpoolShared says that another server holds the spool's lock.
func errSpoolShared(cfg *config.Config, err error) error {
	return fmt.Errorf("another qwenproxy server already uses the spool %s (%w); each instance needs its own RECORDER_SPOOL", cfg.SpoolPath, err)
}

// errServed says that another server holds the database's lock.
func errServed(cfg *config.Config, err error) error {
	return fmt.Errorf("another qwenproxy server already serves the database %s (%w); stop it, or give this one its own DATABASE_PATH", cfg.DatabasePath, err)
}

// lockName is the lock file of path: beside the file path resolves to, so
// that a server reaching it by a symbolic link (a link to the database file)
// takes the same lock as one naming it.
func lockName(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real + ".lock"
	}
	return path + ".lock" // not made yet: nothing to link to
}

// checkSpool refuses a spool path that names something other than a file
// the server can append to (a directory, say) before the database is created
// or migrated: the recorder opens the spool only after both.
func checkSpool(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // made at the first spooled record; its directory exists (the lock is in it)
	}
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err == nil {
		var f *os.File
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err == nil {
			f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("RECORDER_SPOOL %s: %w", path, fileRefused(err))
	}
	return nil
}

// unusedCredentials names the credential variable that is set, of the two
// that sign a call together (qwen.Credentials.Incomplete: one without the
// other): the warning said "QWEN_COOKIES and QWEN_TOKEN are set" when one
// was.
func unusedCredentials(cookies, token string) string {
	if cookies != "" && token == "" {
		return "QWEN_COOKIES is set (QWEN_TOKEN is not)"
	}
	return "QWEN_TOKEN is set (QWEN_COOKIES is not)"
}

// cleartext reports whether base, QWEN_BASE_URL, is plain http to a host
// that is not this machine (a simulator on loopback is not).
func cleartext(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}
