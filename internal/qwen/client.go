package qwen

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SiteURL is Qwen Chat itself, QWEN_BASE_URL's default.
const SiteURL = "https://chat.qwen.ai"

// Config configures a Client. Zero durations take the defaults noted.
type Config struct {
	BaseURL   string // e.g. https://chat.qwen.ai
	UserAgent string // default DefaultUserAgent (with its client hints)
	// WebVersion is the Version header, the web client's version; default
	// DefaultWebVersion.
	WebVersion  string
	Credentials CredentialSource
	// Timeout bounds the wait for the first byte of an answer. Default 120 s.
	Timeout time.Duration
	// IdleTimeout bounds every gap between stream events. Default: Timeout.
	IdleTimeout time.Duration
	MaxRetries  int           // attempts after the first, for retryable failures
	RetryBase   time.Duration // first backoff; doubles per attempt
	RetryMax    time.Duration // backoff cap; a Retry-After longer than this is not waited for
	HTTPClient  *http.Client  // default: an own transport sized for concurrency
	// OnCall, when set, hears of every upstream attempt: its endpoint
	// (chats_new, completions, models) and its error (nil on success).
	OnCall func(ctx context.Context, endpoint string, err error)
	// OnStreamFailure, when set, hears of an answer that failed after it
	// opened (and OnCall heard of it as a success): cut off, silent past
	// IdleTimeout, an error event or one that cannot be read. Once an
	// answer, and only for Qwen's failures (*Error), not the caller's.
	OnStreamFailure func(err error)
	// MaxAnswerBytes bounds the bytes of one answer's stream; past it the
	// stream fails with KindTooLarge. Default DefaultMaxAnswerBytes.
	MaxAnswerBytes int64
	// RetryHere, when set, is asked before a retryable failure is retried
	// with the same ctx: false hands the failure back at once, because the
	// caller has somewhere better to send the call (another account).
	RetryHere func(ctx context.Context, err error) bool
}

// Client talks to one Qwen base URL.
type Client struct {
	cfg      Config
	http     *http.Client
	thinking thinkingModels
	// readers keeps the streams' 32 KiB read buffers between calls: one
	// per call was the largest allocation of a call's path.
	readers *sync.Pool
	fixed   http.Header // headers alike on every call (fixedHeaders)
	pages   pageURLs    // Referers alike on every call (referer)
	// masks keeps the maskers of the credentials calls were made with
	// (Credentials.Known, ~25 µs to build), by those credentials: every
	// bounded call's answer is masked, a chat's creation on every turn —
	// and what their headers and bodies take from them (signed).
	masks *knownCache
	tz    atomic.Pointer[timezoneStamp] // the last second's timezone header
}

// New returns a Client.
func New(cfg Config) *Client {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.WebVersion == "" {
		cfg.WebVersion = DefaultWebVersion
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 120 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = cfg.Timeout
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = NewHTTPClient()
	} else {
		hc = NoRedirects(hc)
	}
	readers := &sync.Pool{New: newStreamReader}
	return &Client{cfg: cfg, http: hc, readers: readers, fixed: fixedHeaders(cfg), pages: newPageURLs(cfg.BaseURL), masks: newKnownCache()}
}

// NewHTTPClient returns a client for Qwen's calls: NewTransport's, and
// following no redirect (NoRedirects).
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: NewTransport(), CheckRedirect: refuseRedirect}
}

// NoRedirects returns a copy of hc that follows no redirect: a redirect is
// the answer (classified as a failure). Go's client follows one to another
// port of the same host with the Authorization and Cookie headers (it drops
// them only for another host name), and to any host with every other
// header — the bx-umidtoken, an object store's security token — and, on a
// 307 or 308, the body (a sign-in's password digest): the credentials go to
// QWEN_BASE_URL alone.
func NoRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = refuseRedirect
	return &c
}

func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// NewTransport returns a transport that keeps enough idle connections for
// many concurrent calls (the default keeps 2 per host, which costs dearly at
// concurrency 64). No overall timeout: it would cut long streams.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// NewChat creates a Qwen chat for model and returns its id, with the
// attempts made. The chat mode follows the credentials of each attempt.
func (c *Client) NewChat(ctx context.Context, model string) (chatID string, attempts Attempts, err error) {
	return c.NewChatOf(ctx, model, ChatTypeText)
}

// NewChatOf is NewChat for a chat of chatType (ChatTypeImage for an image
// generation's chat of its own, as the web client opens one).
func (c *Client) NewChatOf(ctx context.Context, model, chatType string) (chatID string, attempts Attempts, err error) {
	err = c.retry(ctx, "chats_new", &attempts, func() error {
		creds, err := c.cfg.Credentials.Credentials(ctx)
		if err != nil {
			return err
		}
		body := (&NewChatRequest{Models: []string{model}, ProjectID: "", Timestamp: c.now().UnixMilli(),
			ChatType: chatType, ChatMode: c.masks.signed(creds).chatMode}).encode()
		b, err := c.do(ctx, http.MethodPost, "/api/v2/chats/new", body, creds, func(r *http.Request) { c.setHeaders(r, creds, refererNewChat, "") })
		if err != nil {
			return err
		}
		var ok bool
		if chatID, ok = decodeNewChat(b); ok {
			return nil
		}
		var env envelope
		if err := decodeEnvelope(b, &env); err != nil {
			return err
		}
		chatID = cmp.Or(env.Data.ID, env.Data.ChatID, env.ID, env.ChatID)
		if chatID == "" && env.Data.Chat != nil {
			chatID = env.Data.Chat.ID
		}
		if chatID == "" {
			return &Error{Kind: KindBadResponse, Message: "create chat answer has no chat id"}
		}
		return nil
	})
	return chatID, attempts, err
}

// Complete sends req and returns its stream once the answer has started,
// with the body as last sent. Failures before that point are retried; none
// after. Each attempt fills in what depends on the credentials (chat_mode,
// and a guest's thinking, which the guest web client leaves to Qwen) and
// forces thinking on for models whose model-list entry says it cannot be
// skipped.
func (c *Client) Complete(ctx context.Context, req *CompletionRequest) (s *Stream, sent []byte, attempts Attempts, err error) {
	if len(req.Messages) != 1 {
		return nil, nil, attempts, fmt.Errorf("a completion request carries exactly one message, not %d", len(req.Messages))
	}
	if !req.Messages[0].FeatureConfig.ThinkingEnabled && c.ThinkingRequired(ctx, req.Model) {
		req.Messages[0].FeatureConfig.SetThinking(true)
	}
	asked := req.Messages[0].FeatureConfig
	err = c.retry(ctx, "completions", &attempts, func() error {
		creds, err := c.cfg.Credentials.Credentials(ctx)
		if err != nil {
			return err
		}
		req.ChatMode = c.masks.signed(creds).chatMode
		req.Messages[0].FeatureConfig = asked
		if req.ChatMode == ChatModeGuest {
			req.Messages[0].FeatureConfig.leaveToQwen()
		}
		if sent, err = req.encode(); err != nil {
			return fmt.Errorf("encode completion request: %w", err)
		}
		s, err = c.openStream(ctx, creds, req.ChatID, sent)
		return err
	})
	return s, sent, attempts, err
}

func (c *Client) openStream(parent context.Context, creds Credentials, chatID string, body []byte) (*Stream, error) {
	// The request follows the caller's cancellation, but is not bound to
	// it: once the answer is complete, Finish reads the body's end after
	// the caller is gone, so that the connection carries the next call.
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	unfollow := context.AfterFunc(parent, cancel)
	// One watchdog for the first byte and then for every gap between events.
	watch := newWatchdog(c.cfg.Timeout, cancel)
	timedOut := &watch.timedOut
	fail := func(err error) (*Stream, error) { watch.stop(); unfollow(); cancel(); return nil, err }

	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/api/v2/chat/completions?chat_id="+url.QueryEscape(chatID), bytes.NewReader(body))
	if err != nil {
		return fail(fmt.Errorf("build completion request: %w", err))
	}
	c.setHeaders(hreq, creds, refererChat, chatID)
	resp, err := c.http.Do(hreq)
	if err != nil {
		return fail(c.transportError(ctx, parent, timedOut, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 || !strings.Contains(resp.Header.Get("Content-Type"), "text/event-stream") {
		defer resp.Body.Close()
		b, readErr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if readErr != nil {
			return fail(c.transportError(ctx, parent, timedOut, readErr))
		}
		// A refusal may echo the request (its Cookie header, in whatever
		// quoting): the secrets sent are masked before any of it is read
		// into an error, and before its text is cut to a summary; so are
		// the client's own in a failure's (WithCallMask).
		b = c.masks.of(creds).Bytes(b)
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fail(decodedMasked(parent, c.masks.of(creds), classifyHTTP(resp, callMasked(parent, b))))
		}
		if f := classifyBody(resp, b); f != nil {
			if masked := classifyBody(resp, callMasked(parent, b)); masked != nil {
				f = masked
			}
			return fail(decodedMasked(parent, c.masks.of(creds), f))
		}
		// A successful non-stream JSON answer: serve it as a stream of
		// one event. Qwen's is spread over many lines (qwen-wire.md §4.3,
		// recorded), which would end a data line at the first: compacted.
		event := bytes.NewBuffer(make([]byte, 0, len(b)+8))
		event.WriteString("data: ")
		if err := json.Compact(event, b); err != nil {
			return fail(&Error{Kind: KindBadResponse, Status: resp.StatusCode, Message: "unreadable answer: " + Summarize(b), Err: err})
		}
		event.WriteString("\n\n")
		resp.Body = io.NopCloser(event)
	}
	watch.stream(c.cfg.IdleTimeout)
	s := newStream(parent, cancel, resp.Body, watch, c.readers)
	s.creds, s.masks = creds, c.masks
	s.unfollow = unfollow
	s.limitBytes(c.cfg.MaxAnswerBytes)
	// An event stream's failure has its logical status in
	// x-actual-status-code too ("HTTP 200 for streaming even if logical
	// error", qwen-wire.md §5, S10): a failure event is read with it.
	if actual := actualStatus(resp); actual < 200 || actual > 299 {
		s.status = actual
	}
	// Read up to the first real event, so that errors Qwen sends as the only
	// stream event are failures of this attempt (and retryable), not of a
	// stream already forwarded to the client; the caller reads it first.
	if _, err = s.peek(); err != nil {
		s.Close()
		if errors.Is(err, io.EOF) && s.status != 0 {
			// No event to say more: the logical status is the failure, as
			// the same status without a body is (classifyLogical).
			return nil, classifyLogical(resp, s.status, nil)
		}
		if errors.Is(err, io.EOF) {
			return nil, &Error{Kind: KindEmptyAnswer, Message: "Qwen ended the stream without an answer"}
		}
		return nil, err
	}
	s.onFail = c.cfg.OnStreamFailure
	return s, nil
}

// transportError names a failed round trip: our timeout, the caller giving
// up, or the network.
func (c *Client) transportError(ctx, parent context.Context, timedOut *atomic.Bool, err error) error {
	switch {
	case timedOut.Load():
		return &Error{Kind: KindTimeout, Message: "no answer from Qwen within " + c.cfg.Timeout.String()}
	case parent.Err() != nil:
		return parent.Err()
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return &Error{Kind: KindTimeout, Message: "Qwen did not answer in time", Err: err}
	}
	return &Error{Kind: KindNetwork, Message: "cannot reach Qwen at " + c.cfg.BaseURL, Err: err}
}

// decodeEnvelope decodes a successful JSON answer into out; a failure it
// carries is the error.
func decodeEnvelope(b []byte, out *envelope) error {
	if err := json.Unmarshal(b, out); err != nil {
		return &Error{Kind: KindBadResponse, Message: "unreadable answer: " + Summarize(b), Err: err}
	}
	if out.Success == nil || !*out.Success {
		if f := out.failure(0); f != nil {
			return f
		}
		return &Error{Kind: KindBadResponse, Message: "answer is not a success: " + Summarize(b)}
	}
	return nil
}

// do performs a bounded non-streaming call and returns the body of a
// successful JSON answer, or a classified *Error.
//
// The answer comes back with the secrets of creds (the credentials its
// headers carry) masked (Credentials.Known): a refusal that echoes the
// request must not pass them on, whoever reads it.
func (c *Client) do(parent context.Context, method, path string, body []byte, creds Credentials, header func(*http.Request)) ([]byte, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	timedOut := new(atomic.Bool)
	timer := time.AfterFunc(c.cfg.Timeout, func() { timedOut.Store(true); cancel() })
	defer timer.Stop()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, rd)
	if err != nil {
		return nil, fmt.Errorf("build request %s: %w", path, err)
	}
	header(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, parent, timedOut, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, c.transportError(ctx, parent, timedOut, err)
	}
	b = c.masks.of(creds).Bytes(b)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodedMasked(parent, c.masks.of(creds), classifyHTTP(resp, callMasked(parent, b)))
	}
	// Only a page or a failure is scanned for the firewall's markers: a
	// success's content (a model's description) may say "captcha".
	if FirewallAnswer(resp.StatusCode, resp.Header.Get("Content-Type"), b) {
		if f := classifyBody(resp, callMasked(parent, b)); f != nil {
			return nil, decodedMasked(parent, c.masks.of(creds), f)
		}
		return nil, &Error{Kind: KindFirewall, Status: resp.StatusCode, Message: "Qwen answered with a firewall page instead of JSON"}
	}
	// A failure comes with HTTP 200 and its logical status in
	// x-actual-status-code (qwen-wire.md §5, S10; S7 shows the header on
	// every answer): classified with it, as a completion's is. A success
	// (no header, or a 2xx one) is left to the caller's decoding.
	if actual := actualStatus(resp); actual != 0 && (actual < 200 || actual > 299) {
		b = callMasked(parent, b)
		var env envelope
		if json.Unmarshal(b, &env) == nil {
			if f := env.failure(actual); f != nil {
				return nil, decodedMasked(parent, c.masks.of(creds), f)
			}
		}
		if !jsonSuccess(b) {
			// No envelope says more (no body, a gateway's text): the
			// logical status is the failure, as the same HTTP status is.
			return nil, decodedMasked(parent, c.masks.of(creds), classifyLogical(resp, actual, b))
		}
	}
	return b, nil
}

func (c *Client) now() time.Time { return time.Now() }

// retry runs call until it succeeds, fails for good, or the retries are used
// up, backing off exponentially with jitter between attempts.
func (c *Client) retry(ctx context.Context, endpoint string, attempts *Attempts, call func() error) error {
	for {
		attempts.N++
		err := call()
		c.observe(ctx, endpoint, err)
		attempts.note(endpoint, err)
		if err == nil {
			return nil
		}
		qe, ok := AsError(err)
		if !ok || !qe.Retryable() || attempts.N > c.cfg.MaxRetries || (c.cfg.RetryHere != nil && !c.cfg.RetryHere(ctx, err)) {
			return err
		}
		delay := c.backoff(attempts.N)
		if qe.RetryAfter > 0 {
			if c.cfg.RetryMax > 0 && qe.RetryAfter > c.cfg.RetryMax {
				return err // Qwen asks for longer than we are willing to hold the client
			}
			delay = max(delay, qe.RetryAfter)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// backoff is base·2^(n-1), capped, with "equal jitter": half fixed, half random.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.RetryBase << (attempt - 1)
	if c.cfg.RetryMax > 0 && (d > c.cfg.RetryMax || d <= 0) {
		d = c.cfg.RetryMax
	}
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

func (c *Client) observe(ctx context.Context, endpoint string, err error) {
	if c.cfg.OnCall != nil {
		c.cfg.OnCall(ctx, endpoint, err)
	}
}

// Attempts are the tries of one upstream request: how many were made (N),
// and how each failed try of a retried endpoint failed ("endpoint: kind
// [status]", e.g. "completions: rate_limited 429"; Upload's put to the
// object store, tried once, counts but returns its failure instead).
type Attempts struct {
	N        int
	Failures []string
}

// note adds err, when there is one, to the failures.
func (a *Attempts) note(endpoint string, err error) {
	if err == nil {
		return
	}
	what := "canceled"
	if qe, ok := AsError(err); ok {
		what = string(qe.Kind)
		if qe.Status != 0 {
			what += fmt.Sprintf(" %d", qe.Status)
		}
	}
	a.Failures = append(a.Failures, endpoint+": "+what)
}
