package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/auth"
	cliplib "qwenproxy/internal/clip"
	"qwenproxy/internal/metrics"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/redact"
	"qwenproxy/internal/session"
)

// call is one recorded API call: it owns the exchange that is written when
// the call ends, whatever the outcome.
type call struct {
	w  http.ResponseWriter
	r  *http.Request
	ex qp.Exchange
	// metadataOnly drops the bodies from the record.
	metadataOnly bool
	// nameSource is the text its session's name was last cut from (masked
	// of the key and the accounts' secrets, not cut), and name that cut:
	// nameWithoutSecrets masks the source, not the cut name, in which a
	// value across the cut is no longer whole.
	nameSource, name string
	// wrote is set once the response status has gone out.
	wrote bool
	// streaming is set while an event stream is open (active-streams gauge).
	streaming bool
	metrics   *metrics.Metrics
	// accountReported is set once the answering account's failure has been
	// reported to the pool.
	accountReported bool
	// live describes the call while it runs (GET /v1/requests/active).
	live *activeCall
	// errorFormat writes errors in the envelope of the call's client API.
	errorFormat errorFormat
	// stream is a streaming call's event stream (nil until used).
	stream *eventStream
	// ctx is the call's context, bounded by maxDuration (QWEN_MAX_DURATION).
	ctx         context.Context
	maxDuration time.Duration
	// gate, with RECORDER_SYNC, holds the call's final bytes back until its
	// record survives a crash of the process; nil otherwise.
	gate *gate
	// cause is the error behind the call's failure, for the log.
	cause error
	// keyPlace: the call holds a place among its key's calls in flight
	// (admitKey), until givePlaceBack.
	keyPlace bool
	// referenced are the items the request's item_reference items named,
	// as listed, by the ids they named: its record keeps them
	// beside its request body (Request.ReferencedItems).
	referenced map[string]json.RawMessage
	// ownKeyedAnswer is set while the recorded answer
	// (Response.OpenAIResponse) is a chat completion the proxy encoded
	// without a tool call (bufferedOutput.body): its member names are all
	// the proxy's own, none named like a secret, and it holds no call's
	// arguments, so of JSONHiding only the URLs' passwords can apply to it
	// (hideSecrets); an error envelope written in its place clears it.
	ownKeyedAnswer bool
	// afterCut is Qwen's failure after the answer reached the client's
	// limit of output tokens: the client gets its answer, the account is
	// told of the failure.
	afterCut error
	// qwenResponseWhole is the length of the Qwen answer's record when
	// Response.QwenResponse holds its beginning only, too long to keep
	// (recordWindow); 0 when it holds it whole.
	qwenResponseWhole int
	// request is the client's body in the form its record keeps, worked
	// out once (requestForm).
	request struct {
		done   bool
		body   []byte
		hidden []string
	}
}

// newCall names the call: its request id is returned as X-Request-Id and is
// the id it is stored under.
func (s *Server) newCall(w http.ResponseWriter, r *http.Request, body []byte) *call {
	s.calls.add()
	// The middleware named the response already (a fresh UUID): the call is
	// stored under that id rather than a second one made here.
	var id string
	if v := w.Header()["X-Request-Id"]; len(v) == 1 && v[0] != "" {
		id = v[0]
	} else {
		id = qp.NewID()
		w.Header()["X-Request-Id"] = []string{id}
	}
	started := s.now()
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	var g *gate
	if s.cfg.RecorderSync {
		g = &gate{ResponseWriter: w}
		w = g
	}
	record, _ := recordBodiesHeader(r) // checked before the call began (decodeCall)
	metadataOnly := !s.cfg.RecordBodies || !record
	var recorded []byte
	if !metadataOnly { // finish drops the bodies of such a call
		// As the client sent it: finish redacts it and replaces its
		// images by references, after the answer, off the path to the
		// first token (a 100 KB agent request took ~0.4 ms, a request
		// with images a JSON round trip).
		recorded = body
	}
	return &call{w: w, r: r, gate: g, ex: qp.Exchange{
		Request: qp.Request{RequestID: id, Timestamp: started, Method: r.Method, Path: r.URL.Path,
			ClientIP: host, UserAgent: r.UserAgent(), ClientSessionID: clientSessionID(r.Header), APIKeyID: auth.FromContext(r.Context()).KeyID, OpenAIRequest: recorded},
		Response: qp.Response{ResponseID: qp.NewID()},
	}, live: s.live.begin(id, r.URL.Path, started), metrics: s.deps.Metrics, errorFormat: errorFormatFor(r),
		metadataOnly: metadataOnly}
}

// maxUserAgentBytes bounds the User-Agent a call's record keeps (a
// browser's is about 150 bytes, an SDK's less): the header can be as long
// as the headers' limit (1 MiB), and the record's User-Agent is in every
// list of the history that shows the call.
const maxUserAgentBytes = 512

// recordBodiesHeader reads X-Record-Bodies: whether the client lets the
// call's bodies be recorded (true when it is absent). It takes the values
// RECORD_BODIES takes (strconv.ParseBool: true, false, 1, 0, t, f…); any
// other is a 400: a privacy switch misread as "record" stored what the
// client meant to keep out ("0", "no", "off" all did). So is the header
// given twice, as true and as false.
func recordBodiesHeader(r *http.Request) (bool, *openai.Error) {
	record, given := true, false
	for _, v := range r.Header.Values("X-Record-Bodies") {
		trimmed := strings.TrimSpace(v)
		if trimmed == "" {
			continue // as if absent
		}
		b, err := strconv.ParseBool(trimmed)
		switch {
		case err != nil:
			return true, openai.InvalidRequest("X-Record-Bodies", "invalid_record_bodies", "X-Record-Bodies must be true or false (or 1 or 0), not %.40q", v)
		case given && b != record: // which one the client meant is not known
			return true, openai.InvalidRequest("X-Record-Bodies", "invalid_record_bodies", "X-Record-Bodies is given twice, as true and as false: send it once")
		}
		record, given = b, true
	}
	return record, nil
}

// fail answers with f if nothing was sent yet, and records it — or, where f
// says the client left, the failure that really cut the call (shutdown,
// QWEN_MAX_DURATION). It returns the failure applied, which a started
// stream tells its client.
func (c *call) fail(f failure) failure {
	f = f.madeAs(c.ex.Request.Account)
	if f.errType == qp.ErrorTypeClientDisconnect {
		// Not the client: the server stopping, or the call's time bound.
		switch {
		case errors.Is(context.Cause(c.r.Context()), ErrShuttingDown):
			f = shutdownFailure(f.cause)
		case c.ctx != nil && errors.Is(context.Cause(c.ctx), errMaxDuration):
			f = overtimeFailure(c.maxDuration, f.cause)
		}
	}
	if e := c.stream; e != nil {
		// The keep-alive may be opening the stream: one or the other.
		e.mu.Lock()
		defer e.mu.Unlock()
		c.failNow(f)
		if !e.open {
			e.err = errClientGone // answered as an HTTP error: never opens
		}
		return f
	}
	c.failNow(f)
	return f
}

func (c *call) failNow(f failure) {
	rs := &c.ex.Response
	rs.Status, rs.ErrorType = qp.StatusError, f.errType
	c.cause = f.cause
	rs.ErrorMessage = f.api.SentMessage()
	if rs.HTTPStatus == 0 {
		rs.HTTPStatus = f.api.Status
	}
	if f.api.Status != statusClientClosed && !c.wrote {
		c.wrote = true
		rs.OpenAIResponse = c.errorFormat(c.w, f.api)
		c.ownKeyedAnswer = false
	}
	if sent := sentStatus(c.w); sent != 0 {
		// A padded wait (an image's) committed the call to a status before
		// it failed: the client got that status (200) with the error as its
		// body, and the record says what the client got, as a broken
		// stream's does; the error type and message still say why.
		rs.HTTPStatus = sent
	}
}

// statusSender is a writer that may send the call's status before its
// answer is known (paddedWriter).
type statusSender interface{ sentStatus() int }

// sentStatus is the status w has sent ahead of the answer, 0 for none or
// for a writer that never sends one early.
func sentStatus(w http.ResponseWriter) int {
	if s, ok := w.(statusSender); ok {
		return s.sentStatus()
	}
	return 0
}

// finish stamps the end of the call and hands it to the recorder.
func (s *Server) finish(c *call) {
	rs := &c.ex.Response
	rs.Timestamp = s.now()
	rs.Duration = rs.Timestamp.Sub(c.ex.Request.Timestamp)
	if rs.Status == "" {
		rs.Status = qp.StatusSuccess
	}
	if m := s.deps.Metrics; m != nil {
		if c.streaming {
			m.ActiveStreams.Dec()
		}
		if !rs.FirstTokenAt.IsZero() {
			m.TTFT.Observe(rs.FirstTokenAt.Sub(c.ex.Request.Timestamp).Seconds())
		}
		m.Tokens.WithLabelValues("prompt").Add(float64(rs.PromptTokens))
		m.Tokens.WithLabelValues("completion").Add(float64(rs.CompletionTokens))
		if rs.ErrorType != "" {
			m.CallErrors.WithLabelValues(rs.ErrorType).Inc()
		}
	}
	if c.metadataOnly {
		c.ex.Request.OpenAIRequest, c.ex.Request.QwenRequest, rs.OpenAIResponse, rs.QwenResponse = nil, nil, nil, nil
		s.hideInFailure(c, nil) // no body was kept to say what it hid: its URL passwords and the accounts' secrets
	} else {
		s.hideSecrets(c)
	}
	// The User-Agent is the client's text as its bodies are: the call's
	// proxy key and a URL's password put there are masked (they were
	// recorded as sent, and the history showed them), before it is bounded,
	// so that no cut leaves part of one.
	c.ex.Request.UserAgent = cliplib.Head(withoutKey(c.r.Context(), c.ex.Request.UserAgent), maxUserAgentBytes)
	if limit := s.cfg.RecordMaxBodyBytes; limit > 0 {
		rq := &c.ex.Request
		for _, b := range []*[]byte{&rq.OpenAIRequest, &rq.QwenRequest, &rs.OpenAIResponse, &rs.QwenResponse} {
			*b = truncateBody(*b, limit)
		}
	}
	switch rs.ErrorType {
	case qp.ErrorTypeInternal, qp.ErrorTypeDatabaseUnavailable:
		// The client was told only that the proxy failed: the cause is
		// for the operator.
		s.faultLog.Failed(s.log, slog.LevelError, "call failed in the proxy", "request_id", c.ex.Request.RequestID,
			"error_type", rs.ErrorType, "err", c.cause)
	case "":
		s.faultLog.Recovered(s.log, "calls succeed again")
	}
	s.givePlaceBack(c) // if an early end did not
	if c.gate != nil {
		// The final bytes wait for the record to survive a crash.
		ctx := c.r.Context()
		switch err := s.deps.Recorder.Commit(ctx, c.ex); {
		case err == nil:
			s.syncLog.Recovered(s.log, "records are durable before their answers again")
		case ctx.Err() != nil:
			// The client left (or the call was cut at shutdown): no answer
			// waits, and the record is queued as any other.
		default:
			s.syncLog.Warn(s.log, "answering before the call's record is durable (RECORDER_SYNC): neither the database nor the spool takes it",
				"request_id", c.ex.Request.RequestID, "err", err)
		}
		c.gate.open()
	} else {
		s.deps.Recorder.Record(c.ex)
	}
	c.live.end()
	s.calls.done()
}

// refusedUnrecordable answers c with a 503 and ends it, unrecorded, when
// RECORDING_REQUIRED is set and no record can be kept now (neither the
// database nor the spool takes one: memory is not durable), rather than
// serve it unrecorded; it records nothing, since that is what cannot be
// done. It reports whether it did. Every call that goes to Qwen asks it
// first: a turn (answer) and an image's generation or edit (until
// 2026-12-06 images were served unrecorded, and a refused turn stayed in
// the live view).
func (s *Server) refusedUnrecordable(c *call) bool {
	if !s.cfg.RecordingRequired || s.deps.Recorder.Durable() {
		return false
	}
	c.errorFormat(c.w, &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "recording_unavailable",
		Message: "calls are refused while neither the database nor the spool takes records (RECORDING_REQUIRED)"})
	c.live.end()
	s.calls.done()
	return true
}

// hideSecrets puts the call's bodies in the form its record keeps: the
// client's body and the items its references named as recordedForm keeps
// them, the client's answer with every value of a field named like a
// secret as [REDACTED] (the Responses API's echoes the request's metadata,
// instructions and tools; every API's carries the model's tool calls), and
// every value hidden in any of them masked wherever else the call's record
// holds it: the request sent to Qwen renders an earlier tool call's input —
// an object, whose secret fields were hidden — as text; a client's message
// may hold as text what the model then puts in a call's password; Qwen's
// answer holds that call as text. So is every Qwen account's secret (a
// client's body carried it to Qwen, an answer may repeat it). Until
// 2026-12-06 what the answer hid was masked nowhere else.
func (s *Server) hideSecrets(c *call) {
	rq, rs := &c.ex.Request, &c.ex.Response
	accounts := s.deps.Accounts.Known()
	var hidden []string
	rq.OpenAIRequest, hidden = s.requestForm(c)
	// The items its references named are kept beside its body, redacted
	// as it is (they were as their own records keep them, and what the
	// body hid is hidden in them too) — unless they are longer than a
	// recorded body may be: then its references are read as they are
	// found, as before they were kept.
	kept := referencedItems(c.referenced)
	if kept != nil {
		var keptHidden []string
		kept, keptHidden = s.hiddenForm(c.r.Context(), kept)
		hidden = append(hidden, keptHidden...)
	}
	var h []string
	limit := s.cfg.RecordMaxBodyBytes
	window := recordWindow(limit)
	responseWhole := 0 // the client's answer's length masked, when only its window is
	if c.ownKeyedAnswer {
		// What JSONHiding does to a body none of whose members it would
		// hide, without its scan of every member name: the chat answer's
		// usage ("prompt_tokens") mentions a secret word and passed its
		// screen, ~6 µs of the time between Qwen's last byte and the
		// client's (BenchmarkCallPhases).
		var urls []string
		rs.OpenAIResponse, urls, responseWhole = redact.URLPasswordsWithin(rs.OpenAIResponse, window)
		h = redact.Distinctive(urls)
	} else {
		rs.OpenAIResponse, h = redact.JSONHiding(rs.OpenAIResponse)
	}
	hidden = append(hidden, h...)
	// Qwen's bodies are Qwen's: no field of theirs is named like a secret,
	// but the texts they carry hold the URLs the client's did, and the
	// model's (a password too short for the masker below, 6 characters).
	for _, b := range []*[]byte{&rq.QwenRequest, &rs.QwenResponse} {
		*b, h = redact.URLPasswords(*b)
		hidden = append(hidden, redact.Distinctive(h)...)
	}
	known := redact.NewKnown("", hidden...) // nil for none: masks nothing
	for _, b := range []*[]byte{&rq.OpenAIRequest, &rq.QwenRequest, &rs.OpenAIResponse, &rs.QwenResponse} {
		whole := len(*b)
		switch {
		case b == &rs.QwenResponse && c.qwenResponseWhole > 0:
			whole = c.qwenResponseWhole // built no further than window
		case b == &rs.OpenAIResponse && responseWhole > 0:
			whole = responseWhole // masked of URL passwords no further than window
		}
		if window > 0 && whole > window {
			// Too long to keep: masked as far as its record keeps it and a
			// margin, not whole (each pass that masks a secret copies
			// what it masks), then cut.
			head := (*b)[:min(len(*b), window)]
			*b = truncatedHead(accounts.Bytes(known.Bytes(head)), whole, limit, known, accounts)
			continue
		}
		*b = accounts.JSON(known.JSON(*b))
	}
	kept = accounts.JSON(known.JSON(kept))
	if kept != nil && (limit <= 0 || len(kept) <= limit) {
		rq.ReferencedItems = kept
	}
	s.hideInFailure(c, known)
}

// hideInFailure masks, in the texts of how the call failed — the message
// its record keeps (Response.ErrorMessage: an upstream refusal's words,
// which may echo the client's text, or a validation's, which may quote a
// value it sent) and how each failed attempt failed — what its bodies are
// masked of: the passwords of the URLs they hold (redact.URLPasswords, of
// letters alone too), what known masks (the values the bodies hid), and
// every Qwen account's secret. Until 2026-12-06 they were recorded as the
// client was told them: a connection string the upstream echoed kept its
// password in the row its bodies hid it from.
func (s *Server) hideInFailure(c *call, known *redact.Known) {
	rs := &c.ex.Response
	if rs.ErrorMessage == "" && len(rs.UpstreamErrors) == 0 {
		return
	}
	accounts := s.deps.Accounts.Known()
	mask := func(text string) string {
		return accounts.String(known.String(redact.URLPasswordsText(text)))
	}
	rs.ErrorMessage = mask(rs.ErrorMessage)
	var failures []string // a copy, once one changes: the slice is the call's alone, but not written in place
	for i, f := range rs.UpstreamErrors {
		if m := mask(f); m != f {
			if failures == nil {
				failures = slices.Clone(rs.UpstreamErrors)
			}
			failures[i] = m
		}
	}
	if failures != nil {
		rs.UpstreamErrors = failures
	}
}

// failureMask is the call's mask of what Qwen answers a failure with
// (qwen.WithCallMask): its URLs' passwords, wherever the body repeats them,
// and the values its record hides of its client's body (requestForm),
// masked before the refusal's words
// reach the client's error, the call's attempts or the log, as
// hideInFailure masks them in the record. A call whose bodies are not
// recorded has no body form to say what it hides: its URLs' passwords
// alone, as its record. The values are worked out on the first failure.
func (s *Server) failureMask(c *call) func([]byte) []byte {
	var once sync.Once
	var known *redact.Known
	return func(b []byte) []byte {
		once.Do(func() {
			if !c.metadataOnly {
				_, hidden := s.requestForm(c) // clipped: appended to in a copy
				_, passwords := redact.URLPasswords(c.ex.Request.OpenAIRequest)
				known = redact.NewKnown("", append(hidden, redact.Distinctive(passwords)...)...)
			}
		})
		b, _ = redact.URLPasswords(b)
		return known.Bytes(b)
	}
}

// requestForm is the client's body as hiddenForm leaves it, and the values
// it hid, worked out once: a session the call names needs them before the
// call ends (nameWithoutSecrets), its record after.
func (s *Server) requestForm(c *call) ([]byte, []string) {
	if r := &c.request; !r.done {
		r.body, r.hidden = s.hiddenForm(c.r.Context(), c.ex.Request.OpenAIRequest)
		r.hidden, r.done = slices.Clip(r.hidden), true // appended to by its callers, never in place
	}
	return c.request.body, c.request.hidden
}

// hiddenForm is a client's body with its images and documents as their
// references (imageRefs, per RECORD_IMAGE_BYTES) and every value of a field
// named like a secret (a tool call's arguments' too) as [REDACTED], and the
// values it hid, with the call's own proxy key when the body holds it:
// those are still to be masked wherever else the body, and the call's
// record, holds them.
func (s *Server) hiddenForm(ctx context.Context, body []byte) ([]byte, []string) {
	sent := s.imageRefs(body)
	out, hidden := redact.JSONHiding(sent)
	// The call's own proxy key too, wherever the client put it (a "user",
	// a note, its message): the record is every admin's. Only what the
	// client sent can carry it on (one scan of its body, not a masker over
	// every body of every call).
	if key := presentedKeyOf(ctx); redact.Mentions(sent, key) {
		hidden = append(hidden, key)
	}
	return out, hidden
}

// recordedForm is a client's body as the record keeps it, and the values
// it hid: hiddenForm, those values, and every Qwen account's secrets
// (accounts: Pool.Known's), masked wherever else the body holds them. The
// body of a Conversations API call is kept in this form too
// (conversationBody), its items and metadata stored so: what a
// conversation keeps of an item is what the record of a call sending it
// keeps.
func (s *Server) recordedForm(ctx context.Context, body []byte, accounts *redact.Known) ([]byte, []string) {
	out, hidden := s.hiddenForm(ctx, body)
	// The Qwen accounts' secrets too (Pool.Known), whichever account
	// serves the call: an agent may have read them from the proxy's own
	// configuration into a tool's result. Only the record is masked: Qwen
	// is sent what the client wrote.
	return accounts.JSON(redact.NewKnown("", hidden...).JSON(out)), hidden
}

// nameWithoutSecrets masks, in the first user message that names the
// turn's session, what the call's record hides (requestForm's values, and
// those its answer's tool calls hid so far, as the answer's record hides
// them): a client's message may hold as text what the model put in a
// call's password. It runs as the turn ends, before the session's state is
// written with its name; only while the session is new (a name read back
// from the database is as an earlier call of it wrote it), so that an
// agent's long conversation is not redacted on its way to the end of each
// answer.
func (s *Server) nameWithoutSecrets(c *call, turn *session.Turn, out output) {
	sess := &turn.Session
	if sess.FirstUserMessage == "" || sess.MessageCount > 1 {
		return
	}
	var hidden []string
	if !c.metadataOnly {
		_, hidden = s.requestForm(c)
	}
	for _, tc := range out.calls() {
		if _, h := redact.JSONHiding([]byte(tc.Arguments)); h != nil {
			hidden = append(hidden, h...)
		}
	}
	if c.name != "" && sess.FirstUserMessage == c.name {
		sess.FirstUserMessage = qp.SessionName(redact.NewKnown("", hidden...).String(c.nameSource))
		return
	}
	sess.FirstUserMessage = redact.NewKnown("", hidden...).String(sess.FirstUserMessage)
}

// RecordedForm is body (JSON) as a record keeps a client's body
// (recordedForm, outside any call: no proxy key to mask). A conversation
// stored before its items were kept so is rewritten with it.
func (s *Server) RecordedForm(body []byte) []byte {
	out, _ := s.recordedForm(context.Background(), body, s.deps.Accounts.Known())
	return out
}

// upstreamTried records one upstream request's attempts in the call's
// record: their number in *count (Response.UpstreamAttempts, or
// NewChatAttempts for a new chat), and how each failed one failed in
// Response.UpstreamErrors, in the order they were made.
func (c *call) upstreamTried(count *int, a qwen.Attempts) {
	*count += a.N
	c.ex.Response.UpstreamErrors = append(c.ex.Response.UpstreamErrors, a.Failures...)
}

// ending marks the start of the call's final bytes: with RECORDER_SYNC they
// are held back from here until the call is recorded (see finish).
func (c *call) ending() {
	if c.gate != nil {
		c.gate.close()
	}
}
