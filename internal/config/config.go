// Package config reads the proxy's settings from flags and environment
// variables (flags win). The variable names are the Node.js original's, so its
// users can switch without reconfiguring.
package config

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/modelmap"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/redact"
	"qwenproxy/internal/store/bodies"
)

// DefaultQwenBaseURL is QWEN_BASE_URL's default: Qwen Chat itself.
const DefaultQwenBaseURL = qwen.SiteURL

// Config is every setting of `qwenproxy serve`.
type Config struct {
	Host                string
	Port                int
	DatabasePath        string
	DatabaseURL         string // postgres://…: PostgreSQL instead of the SQLite file
	DatabaseBusyTimeout time.Duration
	DatabaseMaxConns    int
	// DatabaseStartTimeout bounds how long serve waits at start for a
	// PostgreSQL server it cannot reach yet (0: not at all).
	DatabaseStartTimeout time.Duration
	// HistoryReadTimeout bounds each read of the history — the history
	// API's, the Responses and Conversations APIs', a turn's of its
	// earlier turns — an export's wait for each next row and each batch
	// of a history delete (0: not at all).
	HistoryReadTimeout time.Duration
	SpoolPath          string
	MockUpstream       bool
	// Warnings are for serve to log at start: what the command line given
	// exposes (ArgumentPassword).
	Warnings []string
	// MockEventDelay paces the simulator's stream events (only with
	// MockUpstream): long enough to watch a stream in the live view.
	MockEventDelay time.Duration

	QwenBaseURL     string
	QwenToken       string
	QwenCookies     string
	QwenTimeout     time.Duration
	QwenIdleTimeout time.Duration
	// StreamKeepAlive is the longest a streaming client waits for a byte:
	// the stream opens, or a keep-alive comment goes out, after this much
	// silence.
	StreamKeepAlive time.Duration
	UserAgent       string
	QwenWebVersion  string
	// QwenMaxAnswerBytes bounds one answer's stream; QwenMaxDuration a
	// call's whole time.
	QwenMaxAnswerBytes int64
	QwenMaxDuration    time.Duration
	// RecordMaxBodyBytes bounds each recorded body (truncated with a marker).
	RecordMaxBodyBytes int

	// Accounts the proxy signs in itself (QWEN_ACCOUNTS, then QWEN_ACCOUNTS_FILE).
	QwenAccounts      []accounts.Login
	QwenAccountsFile  string
	RateLimitCooldown time.Duration
	FailureCooldown   time.Duration
	// SecretKey seals stored passwords and shared tokens; nil: none stored.
	SecretKey *accounts.Sealer

	SessionTimeout         time.Duration
	SessionCleanupInterval time.Duration
	SessionCacheSize       int // sessions kept in memory at most
	// DeleteChats deletes the Qwen chat of each session that expired and
	// its client did not name (QWEN_DELETE_CHATS).
	DeleteChats bool

	MaxRetries     int
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration

	LogLevel  string
	LogFormat string

	MaxBodyBytes      int64
	MaxInFlight       int
	ModelsCacheTTL    time.Duration
	DefaultModel      string
	ModelMap          []modelmap.Rule
	RecorderQueueSize int
	RecorderBatchSize int
	RecorderLinger    time.Duration // how long the writer waits for more records to share a commit
	ShutdownTimeout   time.Duration
	HeaderTimeout     time.Duration
	WriteTimeout      time.Duration
	RetentionDays     int
	RetentionInterval time.Duration
	RetentionMaxBytes int64
	RecordBodies      bool
	// RecorderMemoryBudget bounds, in bytes, the records kept in memory
	// while neither the database nor the spool takes them.
	RecorderMemoryBudget int64
	RecorderSync         bool // a call's final bytes wait until its record survives kill -9
	RecordingRequired    bool // 503 for new calls while records cannot be kept durably

	// What Qwen can do (issue 17): web search sources, images in and out.
	SearchSources     string        // SEARCH_SOURCES: append or annotations
	AllowImageURLs    string        // ALLOW_IMAGE_URLS: false, true or loopback
	ImageMaxBytes     int64         // IMAGE_MAX_BYTES: largest image taken in
	ImageMaxCount     int           // IMAGE_MAX_COUNT: most images a turn takes in
	ImageFetchTimeout time.Duration // IMAGE_FETCH_TIMEOUT
	RecordImageBytes  bool          // RECORD_IMAGE_BYTES
	ImageTimeout      time.Duration // IMAGE_TIMEOUT: an image generation's own limit
	DocumentMaxBytes  int64         // DOCUMENT_MAX_BYTES: largest document (PDF, text) taken in
	ContextFileBytes  int           // CONTEXT_FILE_BYTES: a turn's text past this goes as a file attachment; 0 off

	APIKeys              []string
	AdminAPIKeys         []string
	CORSOrigins          []string
	AllowedHosts         []string // ALLOWED_HOSTS: host names a loopback server answers besides localhost and IPs
	AllowUnauthenticated bool
}

// Addr is host:port to listen on.
func (c *Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// setting is one variable: its environment name, default, help, and parser.
type setting struct {
	env, def, help string
	set            func(string) error
}

func (c *Config) settings() []setting {
	return []setting{
		{"HOST", "127.0.0.1", "address to listen on", host(&c.Host)},
		{"PORT", "3000", "port to listen on", integer(&c.Port, 0, 65535)},
		{"DATABASE_PATH", "./data/qwenproxy.db", "SQLite database file", databasePath(&c.DatabasePath)},
		{"DATABASE_URL", "", "postgres://… URL: store in PostgreSQL, shared by several instances (DATABASE_PATH then names only the spool's default)", databaseURL(&c.DatabaseURL)},
		{"DATABASE_MAX_CONNS", "32", "PostgreSQL connections for turns in progress (each holds one for its session lock); recording and reads use up to 8 more", integer(&c.DatabaseMaxConns, 2, 10_000)},
		{"DATABASE_START_TIMEOUT", "60000", "ms serve waits at start for a PostgreSQL server it cannot reach yet (refused, unresolved, starting up), trying again with backoff; a wrong password or database is not waited for (0: no wait)", millis(&c.DatabaseStartTimeout, 0)},
		{"RECORDER_SPOOL", "", "file records go to while the database cannot take them (default: <DATABASE_PATH>.spool)", str(&c.SpoolPath)},
		{"DATABASE_BUSY_TIMEOUT", "5000", "ms a write waits for a locked database before its records go to the spool", millis(&c.DatabaseBusyTimeout, 1)},
		{"HISTORY_READ_TIMEOUT", "30000", "ms a read of the history may take before it fails with 503: the history API's (a list, a session, a call, statistics), the Responses and Conversations APIs' lookups, a turn's reads of its earlier turns; and each database write a call waits for (a response's delete, a conversation's writes and lock); an export's bound on each wait for its next rows, a session delete's as a whole, and a delete of calls before a time's on each of its batches, not on the whole (0: none)", millis(&c.HistoryReadTimeout, 0)},
		{"QWEN_BASE_URL", DefaultQwenBaseURL, "Qwen Chat base URL", baseURL(&c.QwenBaseURL)},
		{"QWEN_TOKEN", "", "bx-umidtoken header value (optional with a token= cookie; needed for guest use)", str(&c.QwenToken)},
		{"QWEN_COOKIES", "", "a logged-in browser's Cookie header for chat.qwen.ai (its token=<JWT> is enough)", str(&c.QwenCookies)},
		{"QWEN_ACCOUNTS", "", "email:password[,email:password…] accounts the proxy signs in itself (the password is everything after the first ':')", logins(&c.QwenAccounts)},
		{"QWEN_ACCOUNTS_FILE", "", "file of one email:password per line (for passwords with commas)", str(&c.QwenAccountsFile)},
		{"QWEN_RATE_LIMIT_COOLDOWN", "21600000", "ms an account rests after Qwen's daily-quota answer when it gives no hours", millis(&c.RateLimitCooldown, 1000)},
		{"QWEN_FAILURE_COOLDOWN", "5000", "ms an account rests after a firewall page, a 5xx, a connection failure, a bare HTTP 403 or a refused sign-in that is not a wrong password, doubling per failure in a row (a success ends the run) up to 5 minutes (0: no rest)", millis(&c.FailureCooldown, 0)},
		{"QWENPROXY_SECRET_KEY", "", "32 bytes, hex or base64, sealing stored passwords, shared tokens and the stored cookie (comma-separated during a rotation: the first seals)", secretKey(&c.SecretKey)},
		{"QWEN_TIMEOUT", "120000", "ms to wait for Qwen's first byte", millis(&c.QwenTimeout, 1)},
		{"QWEN_IDLE_TIMEOUT", "0", "ms a Qwen stream may stay silent, cut when a silence reaches it (0: QWEN_TIMEOUT)", millis(&c.QwenIdleTimeout, 0)},
		{"QWEN_MAX_ANSWER_BYTES", "67108864", "bytes one Qwen answer's stream may take; past it the call fails (502) and is recorded", integer64(&c.QwenMaxAnswerBytes, 1024)},
		{"QWEN_MAX_DURATION", "600000", "ms a call may take in all, retries and stream included; past it the call is stopped (504) and recorded (at most 3600000)", millisBetween(&c.QwenMaxDuration, 1000, 3_600_000)},
		{"STREAM_KEEPALIVE", "15000", "ms of silence a streaming response never exceeds: within it (after 3/4 to 4/4 of it) it opens (headers, role chunk) or sends a `: keep-alive` comment", millis(&c.StreamKeepAlive, 1)},
		{"USER_AGENT", "", "User-Agent sent upstream (default: a desktop Chrome, with its client hints)", headerValue(&c.UserAgent)},
		{"QWEN_WEB_VERSION", "0.3.11", "Version header: Qwen's web client version; the first thing to update when Qwen refuses every call", headerValue(&c.QwenWebVersion)},
		{"SESSION_TIMEOUT", "1800000", "ms a conversation stays findable after its last turn", millis(&c.SessionTimeout, 1)},
		{"SESSION_CLEANUP_INTERVAL", "600000", "ms between sweeps of expired session keys (and, with QWEN_DELETE_CHATS, of their chats)", millis(&c.SessionCleanupInterval, 1)},
		{"QWEN_DELETE_CHATS", "false", "delete from the Qwen account the chat of each session that expired (SESSION_TIMEOUT), at most 200 a sweep, oldest first — those of sessions expired before it was set too; chats of sessions named by X-Session-Id are kept", boolean(&c.DeleteChats)},
		{"SESSION_CACHE_SIZE", "10000", "sessions kept in memory at most, a tenth of them for sessions answered once; the least recently used beyond are read back from the database when they return", integer(&c.SessionCacheSize, 1, 100_000_000)},
		{"MAX_RETRIES", "3", "retries of a failed upstream call before any byte reached the client", integer(&c.MaxRetries, 0, 20)},
		{"RETRY_BASE_DELAY", "250", "ms of the first retry backoff (doubles, with jitter)", millis(&c.RetryBaseDelay, 0)},
		{"RETRY_MAX_DELAY", "4000", "ms cap of a retry backoff; a longer Retry-After is not waited for", millis(&c.RetryMaxDelay, 0)},
		{"LOG_LEVEL", "info", "debug, info, warn or error", oneOf(&c.LogLevel, "debug", "info", "warn", "error")},
		{"LOG_FORMAT", "text", "text or json", oneOf(&c.LogFormat, "text", "json")},
		{"MAX_BODY_BYTES", "10485760", "largest accepted request body", integer64(&c.MaxBodyBytes, 1)},
		{"MAX_IN_FLIGHT", "1024", "requests with a body (model calls, token counts, …) in progress at once; beyond it one is answered 503 at once, with Retry-After, before its body is read", integer(&c.MaxInFlight, 1, 1_000_000)},
		{"MODELS_CACHE_TTL", "300000", "ms the upstream model list is cached", millis(&c.ModelsCacheTTL, 1)},
		{"DEFAULT_MODEL", "qwen3-max", "model used when a Chat Completions, legacy Completions or image request names none (Messages and Responses require one), or a claude-*, gpt-*, chatgpt-* or dall-e-* name MODEL_MAP does not map", str(&c.DefaultModel)},
		{"MODEL_MAP", "", "comma-separated pattern=qwen-model pairs mapping the model names clients send (* matches anything), e.g. claude-*=qwen3-coder-plus,gpt-*=qwen3-max", modelMap(&c.ModelMap)},
		{"SEARCH_SOURCES", "append", "web search answers: append (a numbered source list after the answer, and annotations) or annotations (annotations only)", oneOf(&c.SearchSources, "append", "annotations")},
		{"ALLOW_IMAGE_URLS", "false", "fetch http(s) image and document URLs: false (data: URLs and base64 only), true (public addresses only), loopback (also 127.0.0.0/8, for tests)", oneOf(&c.AllowImageURLs, "false", "true", "loopback")},
		{"IMAGE_MAX_BYTES", "10485760", "largest image taken in (a data: URL or a fetched one)", integer64(&c.ImageMaxBytes, 1)},
		{"IMAGE_MAX_COUNT", "100", "most images a request's new turn takes in (and a replayed history, again), each one read, held and uploaded (two requests to Qwen)", integer(&c.ImageMaxCount, 1, 10_000)},
		{"IMAGE_FETCH_TIMEOUT", "15000", "ms to fetch an http(s) image or document, redirects included", millis(&c.ImageFetchTimeout, 1)},
		{"RECORD_IMAGE_BYTES", "false", "keep images' bytes (data: URLs) in recorded request bodies and in the items added to a conversation; false keeps a reference and the size", boolean(&c.RecordImageBytes)},
		{"DOCUMENT_MAX_BYTES", "10485760", "largest document (a PDF or plain text file, decoded or fetched) a message may attach; it is uploaded to Qwen as a file", integer64(&c.DocumentMaxBytes, 1)},
		{"CONTEXT_FILE_BYTES", "92160", "bytes of a turn's text past which it is uploaded to Qwen as a text file attachment and a short inline prompt is sent (peers do so at 90 KiB: Qwen's firewall answers a captcha as the body nears 128 KiB); 0 sends every turn inline", integer(&c.ContextFileBytes, 0, 1<<30)},
		{"IMAGE_TIMEOUT", "300000", "ms an image generation may take, first byte to image (its own limit: image generation is slow)", millis(&c.ImageTimeout, 1)},
		{"RECORDER_QUEUE_SIZE", "10000", "records waiting for the database writer", integer(&c.RecorderQueueSize, 1, 10_000_000)},
		{"RECORDER_BATCH_SIZE", "500", "records per database transaction", integer(&c.RecorderBatchSize, 1, 10_000)},
		{"RECORDER_LINGER", "500", "ms the database writer waits for more records to share a commit, unless a batch is full (0: commit at once; at most 60000; RECORDER_SYNC commits at once)", millisBetween(&c.RecorderLinger, 0, 60_000)},
		{"RECORD_MAX_BODY_BYTES", "16777216", "bytes a recorded body may hold; a longer one is stored truncated, as JSON with _truncated and _original_bytes", integer(&c.RecordMaxBodyBytes, 1024, bodies.MaxDecoded)},
		{"RECORDER_MEMORY_BUDGET", "268435456", "bytes of records in memory: queued (beyond: spooled) or kept while neither the database nor the spool takes them (beyond: dropped, logged)", integer64(&c.RecorderMemoryBudget, 1)},
		{"RECORDER_SYNC", "false", "a call's final bytes wait until its record is committed or spooled (survives kill -9; group commit)", boolean(&c.RecorderSync)},
		{"RECORDING_REQUIRED", "false", "answer new calls 503 while neither the database nor the spool takes records", boolean(&c.RecordingRequired)},
		{"SHUTDOWN_TIMEOUT", "30000", "ms to let calls finish on SIGINT/SIGTERM/SIGHUP (a second signal cuts them)", millis(&c.ShutdownTimeout, 1)},
		{"HEADER_TIMEOUT", "10000", "ms a client has to send its request headers (slow clients are cut off)", millis(&c.HeaderTimeout, 1)},
		{"WRITE_TIMEOUT", "60000", "ms a client has to take each piece of an answer it is sent (one that stops reading is cut off)", millis(&c.WriteTimeout, 1)},
		{"RECORD_BODIES", "true", "store request and response bodies (false: metadata only; per call: X-Record-Bodies: false)", boolean(&c.RecordBodies)},
		{"API_KEYS", "", "comma-separated proxy API keys; with any key (here or `qwenproxy keys add`) every /v1 route needs one", keyList(&c.APIKeys)},
		{"ADMIN_API_KEYS", "", "comma-separated admin keys; with any, the history routes and deletes need one", keyList(&c.AdminAPIKeys)},
		{"CORS_ORIGINS", "", "comma-separated browser origins allowed, each scheme://host[:port] as a browser sends it (* for any); none: CORS off", originList(&c.CORSOrigins)},
		{"ALLOWED_HOSTS", "", "comma-separated host names a server on a loopback address answers besides localhost and IP addresses (a reverse proxy's own name)", hostList(&c.AllowedHosts)},
		{"ALLOW_UNAUTHENTICATED", "false", "allow listening beyond loopback without API keys", boolean(&c.AllowUnauthenticated)},
		{"RETENTION_DAYS", "0", "delete recorded calls older than this many days (0: keep everything)", integer(&c.RetentionDays, 0, 100_000)},
		{"RETENTION_INTERVAL", "3600000", "ms between retention sweeps", millis(&c.RetentionInterval, 1000)},
		{"RETENTION_MAX_BYTES", "0", "delete the oldest recorded calls while the history is larger than this many bytes (0: no size limit; else at least 1048576)", sizeLimit(&c.RetentionMaxBytes)},
		{"MOCK_UPSTREAM_EVENT_DELAY", "0", "with --mock-upstream: ms the simulator waits between stream events (to watch streams live)", millis(&c.MockEventDelay, 0)},
	}
}

// Load reads defaults, then the environment (via getenv), then the flags in
// args. Every bad value is reported, with the name of its setting.
func Load(args []string, getenv func(string) string, usage io.Writer) (*Config, error) {
	c := &Config{}
	var errs []error
	aside := setAside(args)
	for _, s := range c.settings() {
		v := s.def
		if e := getenv(s.env); e != "" && !aside[s.env] {
			v = e
		}
		if err := s.set(v); err != nil {
			if secretSettings[s.env] || errors.Is(err, errURLCredentials) || errors.Is(err, errURLQuery) { // their values must not reach a log
				errs = append(errs, fmt.Errorf("%s: %w", s.env, err))
				continue
			}
			// A URL's password is masked wherever a value is echoed: a
			// PostgreSQL URL given as DATABASE_PATH printed it in clear.
			errs = append(errs, fmt.Errorf("%s=%q: %w", s.env, redact.URLValue(v), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	fs := serveFlags(c)
	fs.SetOutput(usage)
	fs.Usage = func() { // under the command's own heading, as every command's flags are
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "\nThe environment variables in parentheses give these flags' defaults; every other setting is an environment variable only: `qwenproxy help` lists them all with their defaults.")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		SuggestFlag(fs, err)
		return nil, CommandLineError{Err: err, Said: true}
	}
	if name := RepeatedFlag(fs, args); name != "" {
		return nil, CommandLineError{Err: fmt.Errorf("--%s is given more than once: give it once", name)}
	}
	if fs.NArg() > 0 {
		return nil, CommandLineError{Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if err := host(&c.Host)(c.Host); err != nil {
		return nil, fmt.Errorf("--host %q: %w", c.Host, err)
	}
	if err := oneOf(&c.LogLevel, "debug", "info", "warn", "error")(c.LogLevel); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", c.LogLevel, err)
	}
	if c.Port < 0 || c.Port > 65535 {
		return nil, fmt.Errorf("--port %d: must be between 0 and 65535", c.Port)
	}
	if err := baseURL(&c.QwenBaseURL)(c.QwenBaseURL); err != nil {
		if errors.Is(err, errURLCredentials) || errors.Is(err, errURLQuery) { // never quoted: see errURLCredentials
			return nil, fmt.Errorf("--qwen-base-url: %w", err)
		}
		return nil, fmt.Errorf("--qwen-base-url %q: %w", c.QwenBaseURL, err)
	}
	if err := databaseURL(&c.DatabaseURL)(c.DatabaseURL); err != nil {
		return nil, fmt.Errorf("--database-url: %w", err)
	}
	if err := CheckDatabasePath(c.DatabasePath); err != nil {
		return nil, fmt.Errorf("--database-path %s: %w", redact.URLValue(c.DatabasePath), err)
	}
	if err := ChooseDatabase(fs, c); err != nil {
		return nil, CommandLineError{Err: err}
	}
	if w := ArgumentPassword("--database-url", c.DatabaseURL, "DATABASE_URL"); w != "" && FlagGiven(fs, "database-url") {
		c.Warnings = append(c.Warnings, w)
	}
	if c.SpoolPath == "" {
		c.SpoolPath = c.DatabasePath + ".spool"
	}
	// Surrounding whitespace — the newline a file read into the variable
	// ends with — is no part of the header (net/http refuses to send a
	// line break in one); a control character within it is said by
	// qwen.Credentials.Incomplete.
	c.QwenCookies = qwen.CookieHeaderValue(strings.TrimSpace(c.QwenCookies))
	if c.QwenAccountsFile != "" {
		more, err := accounts.ParseFile(c.QwenAccountsFile)
		if err != nil {
			return nil, err
		}
		for _, l := range more {
			if slices.ContainsFunc(c.QwenAccounts, func(x accounts.Login) bool { return x.Email == l.Email }) {
				return nil, fmt.Errorf("QWEN_ACCOUNTS_FILE: %s is also in QWEN_ACCOUNTS", l.Email)
			}
			c.QwenAccounts = append(c.QwenAccounts, l)
		}
	}
	return c, nil
}

// serveFlags are serve's flags, their defaults c's values, writing into c.
func serveFlags(c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.Host, "host", c.Host, "address to listen on (HOST)")
	fs.Var(decimal{&c.Port}, "port", "port to listen on (PORT): a decimal `number`")
	fs.StringVar(&c.DatabasePath, "database-path", c.DatabasePath, DatabasePathHelp)
	DatabaseURLFlag(fs, &c.DatabaseURL)
	fs.StringVar(&c.QwenBaseURL, "qwen-base-url", c.QwenBaseURL, "Qwen Chat base URL (QWEN_BASE_URL)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (LOG_LEVEL)")
	fs.BoolVar(&c.MockUpstream, "mock-upstream", false, "serve in front of the built-in Qwen simulator")
	fs.BoolVar(&c.AllowUnauthenticated, "allow-unauthenticated", c.AllowUnauthenticated, "listen beyond loopback without API keys (ALLOW_UNAUTHENTICATED)")
	return fs
}

// setAside names the variables serve's flags given in args replace, which
// are then not read: flags override the environment, so a bad value there
// (PORT=abc beside --port 4000) refused a start the flag made good. A
// --database-path sets DATABASE_URL aside too, as ChooseDatabase does. The
// flags are read as Load reads them, on a copy, saying nothing: Load says
// what is wrong with them.
func setAside(args []string) map[string]bool {
	fs := serveFlags(&Config{})
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	_ = fs.Parse(args)
	aside := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		aside[strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))] = true
		if f.Name == "database-path" {
			aside["DATABASE_URL"] = true
		}
	})
	return aside
}

// secretSettings are the variables whose values are never shown in an error.
var secretSettings = map[string]bool{"DATABASE_URL": true, "QWEN_ACCOUNTS": true, "QWENPROXY_SECRET_KEY": true,
	"QWEN_TOKEN": true, "QWEN_COOKIES": true, "API_KEYS": true, "ADMIN_API_KEYS": true}

func logins(dst *[]accounts.Login) func(string) error {
	return func(v string) error {
		l, err := accounts.ParseList(v)
		if err != nil {
			return err
		}
		*dst = l
		return nil
	}
}

func secretKey(dst **accounts.Sealer) func(string) error {
	return func(v string) error {
		s, err := accounts.NewSealer(v)
		if err != nil {
			return err
		}
		*dst = s
		return nil
	}
}

// Database is what the store opens: the PostgreSQL URL when one is set,
// else the SQLite file.
func (c *Config) Database() string { return cmp.Or(c.DatabaseURL, c.DatabasePath) }

// Document writes one line per environment variable with its default, for
// `qwenproxy help`.
func Document(w io.Writer) {
	for _, s := range (&Config{}).settings() {
		def := s.def
		if def == "" {
			def = "(unset)"
		}
		fmt.Fprintf(w, "  %-26s %-22s %s\n", s.env, def, s.help)
	}
}

// DatabasePathHelp is --database-path's help.
const DatabasePathHelp = "SQLite database file (DATABASE_PATH); given, it is used even when DATABASE_URL is set"

// DatabaseURLFlag registers --database-url, writing into dst when given.
// Unlike a string flag it never prints its current value (DATABASE_URL's,
// password included) in the usage text.
func DatabaseURLFlag(fs *flag.FlagSet, dst *string) {
	fs.Func("database-url", "postgres://… URL: store in PostgreSQL instead of the SQLite file (default DATABASE_URL)",
		func(v string) error { *dst = v; return nil })
}

// ChooseDatabase settles which database the parsed flags of fs name. An
// explicit --database-path selects that SQLite file over a DATABASE_URL of
// the environment, as flags override the environment: DATABASE_URL won, so
// `sessions rm ID --database-path backup.db` on a machine set up for
// PostgreSQL deleted from the PostgreSQL database. Both flags at once name
// two databases, which is refused. A path in the sqlite:PATH form copy
// takes names PATH: the store opens PATH, and the lock, the spool and the
// commands' checks must name that file too.
func ChooseDatabase(fs *flag.FlagSet, c *Config) error {
	c.DatabasePath = strings.TrimPrefix(c.DatabasePath, "sqlite:")
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch {
	case given["database-path"] && given["database-url"]:
		return errors.New("--database-path (a SQLite file) and --database-url (PostgreSQL) name two databases: give one")
	case given["database-path"]:
		c.DatabaseURL = ""
	}
	return nil
}

// ArgumentPassword warns of a database URL given on the command line with
// its password in it (""; none): the process list (ps, /proc/PID/cmdline)
// shows a command's arguments to every user of the machine for as long as
// it runs — serve's, its whole life. pgx takes the password from
// PGPASSWORD or ~/.pgpass when the URL has none; instead names the
// variable that takes the whole URL, if any. The password is never quoted.
func ArgumentPassword(flag, value, instead string) string {
	inQuery := false
	if u, err := url.Parse(value); err == nil && u.Query().Has("password") {
		inQuery = true
	}
	if value == "" || redact.URLValue(value) == value && !inQuery {
		return ""
	}
	w := flag + " holds a password, which the process list (ps) shows every user of this machine while this command runs: " +
		"leave it out of the URL and give it as PGPASSWORD or in ~/.pgpass"
	if instead != "" {
		w += ", or give the whole URL as " + instead
	}
	return w
}

// FlagGiven says whether the flag name was set on fs's command line (given,
// even empty), not left at its default.
func FlagGiven(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// CheckDatabaseURL accepts "" (SQLite) or a PostgreSQL URL.
func CheckDatabaseURL(v string) error {
	if v != "" && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
		return errors.New("must be a postgres:// or postgresql:// URL (SQLite is DATABASE_PATH)")
	}
	return nil
}

// CheckDatabasePath refuses a SQLite database path that is a URL
// (scheme://…, "sqlite:" or not): a PostgreSQL URL mistyped
// (postgress://user:pw@host/db, pg://…) or another database's (mysql://…)
// was taken for a relative path, made a SQLite file of that name in the
// working directory, and printed the password in it. sqlite://… is refused
// too: sqlite://x.db is the file /x.db as a path (and "invalid uri
// authority" to SQLite), whatever was meant; a path is PATH or sqlite:PATH.
// The value is not in the error: callers name it, its password masked
// (redact.URLPasswordsText).
func CheckDatabasePath(v string) error {
	// An empty path (--database-path '', a script's unset variable, or
	// sqlite: alone) names no file: passed on, SQLite failed with "open :
	// no such file or directory", and the reading commands said "no
	// database at  (…)", neither naming the mistake.
	if strings.TrimPrefix(v, "sqlite:") == "" {
		return errors.New("the path is empty: name the SQLite file, as PATH or sqlite:PATH (./data/qwenproxy.db when the flag and DATABASE_PATH are left out)")
	}
	for _, p := range []string{v, strings.TrimPrefix(v, "sqlite:")} {
		scheme, ok := urlScheme(p)
		switch {
		case !ok:
		case strings.EqualFold(scheme, "sqlite"):
			return errors.New("sqlite://… is not a SQLite path: name the file as PATH or sqlite:PATH (sqlite:/srv/q/history.db, sqlite:history.db)")
		default:
			return fmt.Errorf("a URL (%s://…), not a SQLite file path: PostgreSQL is a postgres:// or postgresql:// URL, SQLite a file's path or sqlite:PATH", scheme)
		}
		// A PostgreSQL URL mistyped without its colon or a slash
		// (postgresql:/alice:pw@host/q, postgres//alice:pw@host/q) was
		// a relative path: serve made its directories and logged it,
		// the password in it.
		lower := strings.ToLower(p)
		for _, head := range []string{"postgres:", "postgresql:", "postgres//", "postgresql//"} {
			if strings.HasPrefix(lower, head) {
				return errors.New("a mistyped PostgreSQL URL (its :// wrong), not a SQLite file path: PostgreSQL is a postgres:// or postgresql:// URL, SQLite a file's path or sqlite:PATH")
			}
		}
	}
	return nil
}

// urlScheme is the scheme of v when v begins as a URL with an authority
// does (RFC 3986: a letter, then letters, digits, +, - or ., then "://").
func urlScheme(v string) (string, bool) {
	scheme, _, ok := strings.Cut(v, "://")
	if !ok || scheme == "" {
		return "", false
	}
	for i, r := range scheme {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return "", false
		}
	}
	return scheme, true
}

func databasePath(dst *string) func(string) error {
	return func(v string) error {
		if err := CheckDatabasePath(v); err != nil {
			return err
		}
		*dst = v
		return nil
	}
}

func databaseURL(dst *string) func(string) error {
	return func(v string) error {
		if err := CheckDatabaseURL(v); err != nil {
			return err
		}
		*dst = v
		return nil
	}
}

func modelMap(dst *[]modelmap.Rule) func(string) error {
	return func(v string) (err error) {
		*dst, err = modelmap.Parse(v)
		return err
	}
}

func str(dst *string) func(string) error { return func(v string) error { *dst = v; return nil } }

// host reads the address to listen on, which the port is joined to: one
// holding a port of its own, or an IPv6 address in brackets, reached the
// listener as "[127.0.0.1:5]:3000" or "[[::1]]:3000" and failed there in
// net's words ("no such host", "missing port in address"), naming neither
// HOST nor --host.
func host(dst *string) func(string) error {
	return func(v string) error {
		if _, port, err := net.SplitHostPort(v); err == nil {
			return fmt.Errorf("holds a port (%s): give the address alone, and the port as PORT or --port", port)
		}
		if strings.HasPrefix(v, "[") || strings.HasSuffix(v, "]") {
			return fmt.Errorf("write an IPv6 address without brackets (%s)", strings.Trim(v, "[]"))
		}
		*dst = v
		return nil
	}
}

// headerValue reads a value every Qwen call carries as a header (Version,
// User-Agent), trimmed: a blank one would go out blank on every call (Qwen
// refuses them all), and one with a control character (a line break) fails
// every call in net/http rather than at start. Unset ("") keeps the default.
func headerValue(dst *string) func(string) error {
	return func(v string) error {
		t := strings.TrimSpace(v)
		if v != "" && t == "" {
			return errors.New("must not be blank")
		}
		if strings.ContainsFunc(t, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return errors.New("must not contain control characters (a line break, a tab)")
		}
		*dst = t
		return nil
	}
}

func integer(dst *int, lo, hi int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil && !errors.Is(err, strconv.ErrRange) { // too many digits are out of range below
			return errors.New("not an integer")
		}
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be between %d and %d", lo, hi)
		}
		*dst = n
		return nil
	}
}

func boolean(dst *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		*dst = b
		return nil
	}
}

// keyList reads API_KEYS and ADMIN_API_KEYS: comma-separated keys, blanks
// around each taken off. A value of commas and blanks alone is refused: it
// was read as no keys, so a server an operator meant to guard answered
// everyone (QWEN_ACCOUNTS refuses the same).
func keyList(dst *[]string) func(string) error {
	return func(v string) error {
		*dst = nil
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*dst = append(*dst, item)
			}
		}
		if len(*dst) == 0 && v != "" {
			return errors.New("holds no key, only commas and blanks: give the keys, comma-separated (or leave it unset)")
		}
		return nil
	}
}

// hostList reads ALLOWED_HOSTS: host names, without a port or a scheme
// (compared with a request's Host header, its port taken off), lower-cased.
func hostList(dst *[]string) func(string) error {
	return func(v string) error {
		var hosts []string
		for _, h := range strings.Split(v, ",") {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == "" {
				continue
			}
			if strings.ContainsAny(h, ":/ *") {
				return fmt.Errorf("%q is not a host name (give it without a scheme, port or wildcard, e.g. proxy.example.com)", h)
			}
			hosts = append(hosts, strings.TrimSuffix(h, "."))
		}
		*dst = hosts
		return nil
	}
}

// originList reads CORS_ORIGINS: "*", or origins as a browser's Origin
// header names them (scheme://host[:port], lower-case, no path; any
// scheme: a browser extension's page sends chrome-extension://ID, an editor's
// webview vscode-webview://ID), which they are compared with as they are. A trailing "/" (a page's address
// pasted) is dropped and the case lowered; an entry with a path, a query or
// no scheme is refused at start: it could never match, and every call of
// that page was refused 403 origin_not_allowed with nothing saying why.
func originList(dst *[]string) func(string) error {
	return func(v string) error {
		var origins []string
		for _, o := range strings.Split(v, ",") {
			o = strings.TrimSpace(o)
			if o == "" {
				continue
			}
			if o != "*" {
				u, err := url.Parse(strings.TrimSuffix(o, "/"))
				if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil ||
					u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(o, "#") {
					return fmt.Errorf("%q is not an origin: give scheme://host[:port] as a browser sends it, without a path (e.g. https://app.example.com), or *", o)
				}
				o = strings.ToLower(u.Scheme + "://" + u.Host)
			}
			origins = append(origins, o)
		}
		*dst = origins
		return nil
	}
}

func integer64(dst *int64, lo int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-"):
			return fmt.Errorf("must be at most %d", int64(math.MaxInt64))
		case errors.Is(err, strconv.ErrRange):
			return fmt.Errorf("must be at least %d", lo)
		case err != nil:
			return errors.New("not an integer")
		}
		if n < lo {
			return fmt.Errorf("must be at least %d", lo)
		}
		*dst = n
		return nil
	}
}

// minRetentionBytes is the least RETENTION_MAX_BYTES: an empty SQLite
// history's schema alone is about 230 KB, and a limit below what cannot be
// deleted would have every call deleted, sweep after sweep.
const minRetentionBytes = 1 << 20

// sizeLimit reads RETENTION_MAX_BYTES: 0 (none) or at least
// minRetentionBytes.
func sizeLimit(dst *int64) func(string) error {
	return func(v string) error {
		var n int64
		if err := integer64(&n, 0)(v); err != nil {
			return err
		}
		if n != 0 && n < minRetentionBytes {
			return fmt.Errorf("must be 0 (no limit) or at least %d bytes", minRetentionBytes)
		}
		*dst = n
		return nil
	}
}

func millis(dst *time.Duration, lo int64) func(string) error {
	return millisBetween(dst, lo, math.MaxInt64/int64(time.Millisecond))
}

// millisBetween is millis with an upper bound.
func millisBetween(dst *time.Duration, lo, hi int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if errors.Is(err, strconv.ErrRange) { // digits, too many of them
			if strings.HasPrefix(v, "-") {
				return fmt.Errorf("must be at least %d ms", lo)
			}
			return fmt.Errorf("must be at most %d ms", hi)
		}
		if err != nil {
			return errors.New("not a whole number of milliseconds")
		}
		if n < lo {
			return fmt.Errorf("must be at least %d ms", lo)
		}
		if n > hi {
			return fmt.Errorf("must be at most %d ms", hi)
		}
		*dst = time.Duration(n) * time.Millisecond
		return nil
	}
}

func oneOf(dst *string, allowed ...string) func(string) error {
	return func(v string) error {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				*dst = a
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

// errURLCredentials refuses a base URL with a user part. Its password would
// be shown wherever the URL is: the start's log line, doctor's report, and
// the message of every call Qwen could not be reached for, which goes to the
// client and into the call's record. The error never quotes the value.
var errURLCredentials = errors.New("must not carry a user name or password (user:password@): chat.qwen.ai takes none, and the URL is shown in logs and errors")

// errURLQuery refuses a base URL with a query or fragment: Qwen's paths are
// appended to the URL, after it, where no server reads them, and a key in
// it (a gateway's ?key=) would be shown wherever the URL is.
var errURLQuery = errors.New("must not carry a query (?…) or fragment (#…): Qwen's paths are appended to it, and the URL is shown in logs and errors")

func baseURL(dst *string) func(string) error {
	return func(v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("must be an http(s) URL")
		}
		if u.User != nil {
			return errURLCredentials
		}
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(v, "#") {
			return errURLQuery
		}
		*dst = strings.TrimRight(v, "/")
		return nil
	}
}

// CommandLineError is a command line serve cannot run as written (an unknown
// flag, a bad flag value, a stray argument): a usage error, where a bad
// environment value is a failed start. Said: the flag package has printed
// it already, with the flags, to Load's usage writer.
type CommandLineError struct {
	Err  error
	Said bool
}

func (e CommandLineError) Error() string { return e.Err.Error() }
func (e CommandLineError) Unwrap() error { return e.Err }
