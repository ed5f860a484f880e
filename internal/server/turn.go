package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/imagefetch"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/session"
	"qwenproxy/internal/structured"
	"qwenproxy/internal/tools"
	"qwenproxy/internal/translate"
)

// turnSpec is one validated call to answer, whichever client API it came
// through: each front-end translates its request into this, and format
// writes the answer back in the API's own form.
type turnSpec struct {
	format   answerFormat
	model    string // the Qwen model that answers
	asked    string // the model name the client sent ("" for none)
	mapped   bool   // asked was mapped onto model (variant.mapped)
	stream   bool
	thinking bool
	// thinkingAuto leaves to Qwen how much to think (Anthropic's
	// adaptive thinking): thinking_mode "Auto".
	thinkingAuto bool
	search       bool // Qwen searches the web: chat_type search, sources as annotations
	// autoSearch lets Qwen search when it sees the need (a declared web
	// search tool the client does not force): a text chat with
	// feature_config auto_search, the sources as search's.
	autoSearch bool
	image      bool // Qwen generates an image: chat_type t2i, answered as Markdown
	// imageSize is the ratio the image is drawn in (the image generation
	// tool's size, as Qwen takes it: "16:9"), "" for Qwen's choice.
	imageSize string
	// edit (with image) has Qwen edit the turn's images instead: chat_type
	// image_edit, the images as the message's files, answered as image is.
	edit bool
	// messagesParam is the request's field of messages ("messages", the
	// Responses API's "input"): what a 400 about all their images or
	// documents names.
	messagesParam string
	// images are the new turn's images, read (decoded or fetched) before
	// the call; they are uploaded for the chat that answers.
	images []*imagefetch.Image
	// documents are the new turn's documents (PDFs, plain text), decoded
	// and checked before the call; uploaded for the chat that answers.
	documents []*document
	messages  []qp.Message
	sessionID string // X-Session-Id (or the API's equivalent), already validated
	// continues is the previous_response_id the session came from: that
	// session must exist and be the caller's, else the call is a 400
	// rather than a new chat.
	continues string
	// earlier is the conversation a previous_response_id stands for (nil
	// without one), read only when a new chat must be told it; its error
	// is a database's that could not give it (qp.ErrStoreUnavailable).
	earlier func(context.Context) ([]qp.Message, error)
	// branch checks that a turn may branch off from the response continues
	// names (an earlier answer of its session: session.Request.Branch),
	// reading the chain earlier then tells; set with continues.
	branch func(context.Context) error
	tools  *tools.Set // nil or inactive: answers are never rewritten
	// oneCall keeps an answer's first tool call only: parallel tool calls
	// off (parallel_tool_calls: false in both OpenAI APIs, Anthropic's
	// disable_parallel_tool_use), or the legacy functions shape.
	oneCall bool
	// jsonFormat is the JSON the answer must be (response_format), or nil.
	jsonFormat *structured.Format
	// stop sequences end the answer before the first of them.
	stop []string
	// maxTokens bounds the answer's output tokens, thinking included
	// (max_tokens, max_completion_tokens, max_output_tokens; 0 for none):
	// the answer is cut at it (translate.Answer.Limit) and finishes as
	// qp.FinishLength.
	maxTokens int
	// compacts: the answer is a summary that replaces the conversation
	// (Anthropic's compaction): the next request sends it first, in place
	// of the messages it summarizes, and finds the session by it alone.
	compacts bool
	// compactKept are the messages a compacted conversation keeps before
	// the summary (the Responses API's user messages; none for
	// Anthropic's): with the summary, what the session is keyed by.
	compactKept []qp.Message
	// conversation is the Conversations API's conversation (conv_…) the
	// turn is answered in: its session, which the client did not name.
	conversation string
	// settle, when set, is called once the answer is complete, before the
	// session advances past it and before the client is sent its end (a
	// response in a conversation is added to it there). An error fails
	// the call: the client is not told of an answer that was not kept, and
	// the session stays where it was, so that its chat's next turn does
	// not see this one.
	settle func(c *call) error
}

// checked reports whether the answer must be checked whole before the client
// sees it (so a corrective turn stays possible): a format, a forced call,
// or a strict function whose calls' arguments are checked.
func (t *turnSpec) checked() bool {
	return t.jsonFormat != nil || t.tools.Active() && (t.tools.Requirement() != "" || t.tools.HasStrict())
}

// unmet says how an answer breaks what the request demands (tool_choice,
// a strict function's parameters, response_format), or nil. An answer that
// is calls is not held to the format. For a format it also returns the
// answer's JSON, clean of prose (whole: a stop sequence cuts it after).
func (t *turnSpec) unmet(out output) (clean string, problem error) {
	calls := out.calls()
	if t.tools.Active() && !t.tools.Satisfied(calls) {
		return "", errToolChoice
	}
	if bad := t.tools.CheckStrict(calls); bad != nil {
		return "", bad
	}
	if t.jsonFormat == nil || len(calls) > 0 {
		return "", nil
	}
	return t.jsonFormat.Check(out.message().Text)
}

// correction is the corrective turn's message for problem.
func (t *turnSpec) correction(problem error) string {
	if problem == errToolChoice {
		return t.tools.Correction()
	}
	var args *tools.ArgumentsError
	if errors.As(problem, &args) {
		return t.tools.ArgumentsCorrection(args)
	}
	return t.jsonFormat.Correction(problem)
}

// chatType is the Qwen chat type the turn's messages go with.
func (t *turnSpec) chatType() string {
	switch {
	case t.edit:
		return qwen.ChatTypeImageEdit
	case t.image:
		return qwen.ChatTypeImage
	case t.search:
		return qwen.ChatTypeSearch
	}
	return qwen.ChatTypeText
}

// answerModel is the model an answer names: the one the client asked for.
func (t *turnSpec) answerModel() string { return cmp.Or(t.asked, t.model) }

// errClientGone marks a failed write to the client; it is a cancellation.
var errClientGone = fmt.Errorf("client went away: %w", context.Canceled)

// errClientStalled is a write to the client that waited WRITE_TIMEOUT (see
// WriteDeadlines): the client kept the connection and stopped reading.
var errClientStalled = fmt.Errorf("client stopped reading: %w", errClientGone)

// clientGone is the error of a failed write to the client: errClientStalled
// when its deadline passed, else errClientGone.
func clientGone(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errClientStalled
	}
	return errClientGone
}

// answer runs one turn against Qwen and answers the client, recording the
// call exactly once whatever happens.
func (s *Server) answer(c *call, t *turnSpec) {
	if s.refusedUnrecordable(c) {
		return
	}
	defer s.finish(c)
	ctx := c.r.Context()
	if s.cfg.MaxDuration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.cfg.MaxDuration, errMaxDuration)
		defer cancel()
	}
	ctx = qwen.WithCallMask(ctx, s.failureMask(c))
	c.ctx, c.maxDuration = ctx, s.cfg.MaxDuration
	rq, rs := &c.ex.Request, &c.ex.Response
	rq.Model, rs.Model, rq.Stream = t.answerModel(), t.model, t.stream
	c.live.update(func(a *activeCall) { a.model, a.responseModel, a.stream = rq.Model, rs.Model, t.stream })
	if !s.admitKey(c) {
		s.keepSession(ctx, c, t) // refused before its turn, as below
		return
	}

	out := s.newOutput(c, t, false)
	if !t.stream && !t.image {
		c.ending() // an answer sent whole is all final bytes (an image's padding is not)
	}
	if t.stream {
		// From here the client sees a byte at least every STREAM_KEEPALIVE:
		// the stream opens when upstream answers or when that much time
		// has passed, whichever is first; then silences get comments.
		stop := c.events().keepAlive(s.cfg.StreamKeepAlive)
		defer stop()
	} else if t.image {
		// An image takes long: newlines before the JSON keep the client.
		stop := padWhileSlow(c, s.cfg.StreamKeepAlive)
		defer stop()
	}
	if t.image {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.Capabilities.ImageTimeout)
		defer cancel()
	}
	if err := s.deps.Accounts.Unavailable(); err != nil {
		// Refused before its turn (every account resting, over its quota
		// or refused): a named session's history keeps the call its client
		// saw fail, as it keeps one that failed waiting for its turn.
		s.keepSession(ctx, c, t)
		c.ending()
		s.givePlaceBack(c)
		out.fail(classify(err))
		return
	}
	if t.sessionID != "" {
		if err := s.nameSessionCalls(ctx, t.sessionID, t.messages); err != nil {
			// As a session that cannot be read below: 503
			// database_unavailable, the results not sent unnamed.
			c.ending()
			s.givePlaceBack(c)
			out.fail(classify(err))
			return
		}
	}
	turn, opened, err := s.beginTurn(ctx, c, t)
	if err != nil {
		c.ending()
		s.givePlaceBack(c)
		out.fail(classify(err))
		return
	}
	defer turn.Release()
	account, err := s.beginAccount(ctx, c, t, turn, opened)
	if err != nil {
		// Written with its name (a session its side call opened is named
		// by this call's first message): masked as a turn that asked masks
		// it, or it kept what the call's record hides.
		s.nameWithoutSecrets(c, turn, out)
		turn.TouchAfter(err)
		s.givePlaceBack(c)
		out.fail(classify(err))
		return
	}

	sess := &turn.Session
	c.live.update(func(a *activeCall) { a.sessionID = sess.ID })
	ans, told, actx, err := s.ask(ctx, c, t, turn, out, account)
	defer func() {
		if !c.accountReported {
			s.deps.Accounts.Report(accounts.From(actx), cmp.Or(err, c.afterCut))
		}
	}()
	var clean string
	if err == nil && !ans.Cut() { // an answer cut at max_tokens is incomplete: not held to a format or a call
		var problem error
		if clean, problem = t.unmet(out); problem != nil {
			// One corrective turn, under the answer that broke the demand:
			// its response_id (the assistant message) first, so that Qwen
			// reads the correction after that answer; Qwen takes either
			// node of an exchange as parent (qwen-wire.md §4.4).
			out.reset()
			correction := qwen.MessageSpec{Role: "user", Content: t.correction(problem), Thinking: t.thinking}
			first := ans
			if t.maxTokens > 0 {
				// The client is told both turns' usage: the second has what
				// the first left of the limit.
				t.maxTokens = max(1, t.maxTokens-first.Usage().CompletionTokens)
			}
			ans, err = s.askUpstream(actx, c, t, sess.ChatID, cmp.Or(ans.Created.ResponseID, ans.Created.ParentID), correction, out)
			ans.Carry(first)              // the client is told both turns' usage, as the record sums them
			if err == nil && !ans.Cut() { // cut at the limit: incomplete, not held to the demand
				if clean, problem = t.unmet(out); problem != nil {
					err = unmetFailure(problem)
				}
			}
		}
	}
	if err == nil && !ans.Cut() && t.tools.Active() && t.tools.Requirement() != "" {
		// A forced call is the whole answer, as OpenAI and Anthropic force
		// one (Anthropic: no text before the tool_use blocks); the text
		// the model wrote around it (held back with the stream) goes.
		out.dropText()
	}
	c.ending()         // what follows ends the answer
	s.givePlaceBack(c) // Qwen's part is done
	if err == nil && ans.Cut() && t.jsonFormat != nil && len(out.calls()) == 0 {
		// The JSON as far as it came, without the prose and fence
		// around it (not checked: it is incomplete).
		started := structured.Started(out.message().Text)
		out.reset()
		if started != "" {
			err = out.content(started)
		}
	}
	if err == nil && clean != "" {
		// The answer is the JSON alone, without the prose or fence around
		// it, cut before a stop sequence as OpenAI cuts one (the text before
		// it, which no longer parses).
		clean, ans.StopSequence = translate.CutAtStop(clean, t.stop)
		out.reset()
		err = out.content(clean)
	}
	if err == nil {
		err = s.citeSources(ans, out, clean != "", t.stop)
	}
	if f, ok := out.(imageFetcher); ok && err == nil {
		err = f.fetchImage(ctx, ans) // within IMAGE_TIMEOUT, as the generation
	}
	if err != nil && t.image && errors.Is(ctx.Err(), context.DeadlineExceeded) && c.r.Context().Err() == nil {
		err = errImageTimeout
	}
	if err == nil && t.settle != nil {
		err = t.settle(c)
	}
	s.nameWithoutSecrets(c, turn, out) // before the session is written with its name, either way
	if err != nil {
		if qe, ok := qwen.AsError(err); ok && qe.Kind == qwen.KindTooLong {
			turn.Outgrown() // the chat is full: the compacted conversation goes on in another
		} else {
			if partial := deliveredPartial(t, out); partial != "" {
				turn.Cut(keyed(t.tools, t.messages), partial) // the client may keep it with its retry's answer
			}
			turn.TouchAfter(err) // a failed turn still keeps the session alive
		}
		out.keepDelivered() // the record's body is what the client got
		rs.OpenAIResponse = out.finish(ans, "")
		out.fail(classify(err))
		return
	}
	finish := qp.FinishStop
	switch {
	case ans.Cut():
		finish = qp.FinishLength
	case len(out.calls()) > 0:
		finish = qp.FinishToolCalls
	}
	// Advance before the client sees the end of the answer: its next turn may
	// follow at once and must find the session by its new key.
	turn.SetTold(told.System, told.Tools)
	if s.advance(turn, t, ans, out, c.ex.Request.RequestID) {
		// Asked in place of the session's latest answer, which this one
		// now replaces: recorded with the call's metadata, bodies or not.
		c.ex.Request.Replaces = turn.Replaces()
	}
	rs.FinishReason = finish
	rs.OpenAIResponse = out.finish(ans, finish)
}

// deliveredPartial is the text of a failed answer that its client got before
// the failure (session.Turn.Cut), "" when it got none or would not resend it
// as that turn's answer. Only a stream sends text before the end, and only
// one not held back whole for a check (turnSpec.checked); an answer in which
// a call came is keyed by its calls, not its text; an image's is not text;
// and a prefill's continuation goes after the prefill the client keeps.
func deliveredPartial(t *turnSpec, out output) string {
	if !t.stream || t.checked() || t.image || len(out.calls()) > 0 {
		return ""
	}
	if _, ok := translate.Prefill(t.messages); ok {
		return ""
	}
	return out.delivered()
}

// unmetError is an answer that still breaks what the request demands
// (tool_choice, response_format) after the corrective turn: a 502 whose code
// says which demand.
type unmetError struct{ code, message string }

func (e *unmetError) Error() string { return e.message }

// errToolChoice is an answer that still ignores tool_choice after a retry.
var errToolChoice = &unmetError{"tool_choice_unmet",
	"the model did not call the function that tool_choice requires, even when asked again"}

// unmetFailure is the call's error for problem, found after the corrective
// turn.
func unmetFailure(problem error) error {
	if problem == errToolChoice {
		return errToolChoice
	}
	var args *tools.ArgumentsError
	if errors.As(problem, &args) {
		return &unmetError{"tool_arguments_unmet", "the model's call of a strict function did not match its parameters, even when asked again: " + problem.Error()}
	}
	return &unmetError{"response_format_unmet", "the model's answer did not meet the JSON format the request asks for, even when asked again: " + problem.Error()}
}

// askUpstream asks Qwen once in a turn (a turn asks again only when its
// answer breaks response_format): it sends one completion upstream
// (Complete makes its attempts) and pumps the answer into out, whose stream
// opens when upstream answers. It records the upstream side of the call.
func (s *Server) askUpstream(ctx context.Context, c *call, t *turnSpec, chatID, parentID string, spec qwen.MessageSpec, out output) (*translate.Answer, error) {
	rq, rs := &c.ex.Request, &c.ex.Response
	ans := &translate.Answer{}
	if !t.image {
		ans.Limit = t.maxTokens
	}
	spec.ChatType, spec.AutoSearch, spec.ThinkingAuto = t.chatType(), t.autoSearch, t.thinkingAuto
	qreq := qwen.NewCompletionRequest(chatID, parentID, t.model, s.now(), spec)
	if t.image {
		qreq.Size = t.imageSize
	}
	stream, body, attempts, err := s.deps.Upstream.Complete(ctx, qreq)
	if rq.QwenRequest == nil || err == nil { // what the answer came from, when one did (after a move to another account)
		rq.QwenRequest = unsignedFiles(body, len(spec.Files) > 0)
	}
	c.upstreamTried(&rs.UpstreamAttempts, attempts)
	if err != nil {
		return ans, err
	}
	defer stream.Close()
	err = s.pump(stream, ans, out, c, t)
	if ans.Finished {
		stream.Finish() // the connection serves the next call
	}
	if !c.metadataOnly { // finish drops the bodies of such a call
		// No more of it than its record keeps, and a margin to mask.
		var whole int
		rs.QwenResponse, whole = ans.UpstreamRecordWithin(recordWindow(s.cfg.RecordMaxBodyBytes))
		c.qwenResponseWhole = 0
		if whole > len(rs.QwenResponse) {
			c.qwenResponseWhole = whole
		}
	}
	rs.ParentID = ans.Created.ParentID
	u := ans.Usage()
	rs.PromptTokens += u.PromptTokens
	rs.CompletionTokens += u.CompletionTokens
	rs.TotalTokens += u.TotalTokens
	return ans, err
}

// sessionNameWindow is how much of a first message is masked before it is
// cut to a session's name: the name's bytes and room for any secret that
// begins within them, however long (a cookie header), without scanning a
// message of megabytes on every turn.
const sessionNameWindow = 4 * qp.FirstUserMessageMax

// sessionName is a session's name (its first message, cut to
// qp.FirstUserMessageMax bytes) without the call's key or any account's
// secrets, as the call's record: masked before the cut, which left the
// beginning of a secret across it in the name (masked after, the secret
// was no longer whole).
func (s *Server) sessionName(c *call, whole string) string {
	if len(whole) > sessionNameWindow {
		whole = whole[:sessionNameWindow]
	}
	c.nameSource = s.deps.Accounts.Known().String(withoutKey(c.r.Context(), whole))
	c.name = qp.SessionName(c.nameSource)
	return c.name
}

// beginTurn resolves and holds the call's session. opened is the account
// a new chat was opened on, "" when the session continues its chat.
func (s *Server) beginTurn(ctx context.Context, c *call, t *turnSpec) (_ *session.Turn, opened string, _ error) {
	history, newTurn := translate.Split(t.messages)
	rs := &c.ex.Response
	// The session's row keeps it: without the call's key or any account's
	// secrets, as the call's record.
	firstUser := s.sessionName(c, translate.FirstUserTextWhole(t.messages))
	if c.metadataOnly { // a call recorded without bodies leaves no text in its session either
		firstUser = ""
	}
	keyedHistory := keyed(t.tools, history)
	openChat := func(ctx context.Context) (string, error) {
		id, account, err := s.openChat(ctx, c, t, map[string]bool{})
		opened = account
		return id, err
	}
	turn, err := s.deps.Sessions.Begin(ctx, session.Request{
		ExplicitID:   t.sessionID,
		Named:        t.sessionID != "" && t.continues == "" && t.conversation == "", // X-Session-Id, not a previous_response_id's or a conversation's
		PrefixKey:    session.Key(keyedHistory, nil),
		History:      keyedHistory,
		HasHistory:   translate.HasEarlierTurns(history),
		Sent:         keyed(t.tools, t.messages),
		AnsweredCall: answeredCall(newTurn),
		Model:        t.model,
		FirstUser:    firstUser,
		Tools:        t.tools != nil && len(t.tools.Tools) > 0,
		Owner:        c.ex.Request.APIKeyID,
		// The agent's own conversation: another's (a fork resending this
		// one's history) does not continue its session.
		ClientSessionID: c.ex.Request.ClientSessionID,
		NewChat: func(ctx context.Context) (string, error) {
			if t.continues != "" {
				// No such session of this key (another key's, deleted,
				// or never made): OpenAI's answer, not a fresh start.
				return "", previousNotFound(t.continues)
			}
			return openChat(ctx)
		},
		ReplaceChat: openChat,
		TakenBy:     s.conversationOwner,
		Continues:   continuedCall(t.continues),
		Branch: func(ctx context.Context) (string, error) {
			if err := t.branch(ctx); err != nil {
				return "", err
			}
			return openChat(ctx)
		},
	})
	if err != nil {
		s.keepSession(ctx, c, t)
		return nil, "", err
	}
	if turn.BranchedFrom != "" {
		// Named as the conversation it holds, whose first message the
		// request does not carry (read again from the chain when the
		// chat is told it: t.earlier keeps what it read).
		if msgs, err := t.replayed(ctx); err == nil && !c.metadataOnly {
			if name := s.sessionName(c, translate.FirstUserTextWhole(msgs)); name != "" {
				turn.Session.FirstUserMessage = name
			}
		}
		s.log.Info("previous_response_id names an earlier answer of its session: the turn branches off into a session of its own, told that response's conversation",
			"previous_response_id", t.continues, "from_session_id", turn.BranchedFrom, "session_id", turn.Session.ID, "chat_id", turn.Session.ChatID)
	}
	if turn.Regenerates {
		// A retry of a call answered meanwhile, or a regenerate: nothing
		// is told again, no chat is opened.
		s.log.Info("previous_response_id names the answer its session's latest turn was asked from: the turn is asked again in its chat, under that answer",
			"previous_response_id", t.continues, "session_id", turn.Session.ID, "chat_id", turn.Session.ChatID, "parent_id", turn.Session.ParentID)
	}
	rs.ChatID = turn.Session.ChatID
	c.setSession(turn.Session.ID)
	return turn, opened, nil
}

// continuedCall is the request id of the call whose answer the
// previous_response_id previous names ("" for none).
func continuedCall(previous string) string {
	if previous == "" {
		return ""
	}
	requestID, _, _ := parseResponseID(previous) // checked: it names a session
	return requestID
}

// answeredCall is the id of the first call of the proxy's answers that a
// turn's messages answer, "" when they answer none. An id the proxy never
// mints names no session's call: looking it up would cost a query for
// nothing.
func answeredCall(turn []qp.Message) string {
	for _, m := range turn {
		if m.Role == "tool" && tools.Minted(m.ToolCallID) {
			return m.ToolCallID
		}
	}
	return ""
}

// pump reads the upstream answer to its end (even past a stop sequence: a
// completion cut short would leave Qwen's chat "in progress"), forwarding
// text as it comes through the answer's text path.
func (s *Server) pump(stream *qwen.Stream, ans *translate.Answer, out output, c *call, t *turnSpec) (err error) {
	rs := &c.ex.Response
	path := newAnswerText(t)
	// Text that nothing holds back (no stop sequence, prefill or tools)
	// goes out as it comes, without the text path's events.
	plain := path.plain()
	streamer, _ := out.(callStreamer)
	// Until the first piece of the answer has gone out, every event that
	// produced one is flushed at once: time to first token does not wait
	// for the rest of a burst.
	sent := false
	// The output starts (a stream opens: headers and the API's opening
	// events) at upstream's first event after the created one: the
	// answer's first piece, which brings the prompt's token count that an
	// opening may name (Anthropic's message_start), or Qwen's error. Not
	// at the created event: a conversation too long for the model is
	// created and then refused (ContextLengthExceeded), and started on the
	// created event alone — as the network's timing had it when the two
	// came in two reads — every client API answered it as a 200 stream
	// with an error event instead of its 400. Nor at Qwen's keep-alive
	// (response.info, sent during long work such as an image generation):
	// a failure after it is still one before any piece. (The proxy's own
	// keep-alive opens a stream whose first piece is slow.) The opening
	// goes out with that piece in one write.
	counter, counts := out.(promptCounter)
	started := false
	start := func() {
		if started {
			return
		}
		started = true
		if counts {
			counter.promptTokens(ans.Usage())
		}
		out.start()
	}
	// An answer that fails before the output started (Qwen's
	// ContextLengthExceeded comes before any piece) leaves it unstarted, so
	// the failure is an HTTP error with its status: OpenAI's 400
	// context_length_exceeded and Anthropic's "prompt is too long", on
	// which agents compact (a stream of message_start and an error event
	// made Claude Code ask again first, without streaming). A failure
	// after the output started is the API's stream error.
	defer func() {
		if err == nil {
			start()
		}
	}()
	// Which calls are passed on, decided at each one's first event (its
	// start names it): those a named tool_choice allows, and of them the
	// first only when the turn allows one.
	var kept map[string]bool // by call id
	keptAny := false
	keep := func(c tools.Call) bool {
		k, seen := kept[c.ID]
		if !seen {
			if kept == nil {
				kept = map[string]bool{}
			}
			k = t.tools.Allows(c.Name) && (!t.oneCall || !keptAny)
			kept[c.ID] = k
			keptAny = keptAny || k
		}
		return k
	}
	emit := func(events []tools.Event) error {
		sent = sent || len(events) > 0
		for _, ev := range events {
			if ev.Kind != tools.EventText && !keep(ev.Call) {
				continue
			}
			var err error
			switch ev.Kind {
			case tools.EventText:
				err = out.content(ev.Text)
			case tools.EventCallStart:
				if streamer != nil && !t.tools.IsCustom(ev.Call.Name) {
					err = streamer.toolCallStart(ev.Call)
				}
			case tools.EventCallArguments:
				// A custom call's input is its arguments' one string, not
				// the JSON they stream as: it goes out whole, with the
				// call (EventCall).
				if streamer != nil && !t.tools.IsCustom(ev.Call.Name) {
					err = streamer.toolCallArguments(ev.Call.ID, ev.Text)
				}
			case tools.EventCall:
				err = out.toolCalls([]tools.Call{ev.Call})
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for !ans.Finished {
		ev, err := stream.Next()
		if errors.Is(err, io.EOF) {
			err = ans.Unfinished()
		}
		if err != nil && ans.Cut() && c.r.Context().Err() == nil {
			// The client's answer was whole before Qwen's failed (an error,
			// a cut stream): it gets it, and the account hears of the
			// failure.
			c.afterCut = err
			break
		}
		if err != nil {
			// What the text path still holds never reaches the client, nor
			// its record's answer in the client's API: Qwen's side of the
			// record (ans) has it.
			return err
		}
		content, reasoning := ans.Add(ev)
		if ev.Kind != qwen.EventCreated && ev.Kind != qwen.EventKeepAlive {
			start()
		}
		if ev.SearchCall || len(ev.Sources) > 0 {
			if ss, ok := out.(searchStreamer); ok {
				if err := ss.searching(ans.Searches()); err != nil {
					return err
				}
			}
		}
		if (content != "" || reasoning != "") && rs.FirstTokenAt.IsZero() {
			c.firstToken(s.now())
		}
		first := !sent
		if reasoning != "" && !path.stopped() {
			sent = true
			if err := out.reasoning(reasoning); err != nil {
				return err
			}
		}
		switch {
		case content == "":
		case plain:
			sent = true
			if err := out.content(content); err != nil {
				return err
			}
		default:
			if err := emit(path.feed(content)); err != nil {
				return err
			}
		}
		// Flush only when nothing more is already waiting, so a burst of
		// upstream events costs one flush, or when this event sent the
		// answer's first piece.
		if stream.Buffered() == 0 || (first && sent) {
			out.flush()
		}
	}
	end := path.flush
	if ans.Cut() {
		end = path.cut
	}
	if err := emit(end()); err != nil {
		return err
	}
	ans.StopSequence = path.matched()
	if ans.Cut() {
		return nil // the client's answer is what came before the limit: thinking alone, it may be
	}
	return ans.Empty()
}

// imageFetcher is an output whose answer carries the image's bytes (the
// Responses API's image_generation_call): it fetches them once Qwen has
// given the image's URL.
type imageFetcher interface {
	fetchImage(ctx context.Context, ans *translate.Answer) error
}

// searchStreamer is an output that shows Qwen's web searches as they are
// made (the Responses API's web_search_call items): it hears of the
// answer's searches so far whenever a search is called or finds pages.
type searchStreamer interface {
	searching(list []translate.Search) error
}

// promptCounter is an output whose opening names the prompt's token count
// (Anthropic's message_start): it hears the usage so far before it starts.
type promptCounter interface{ promptTokens(u openai.Usage) }

// callStreamer is an output that streams a call as it arrives: its name once
// the block is confirmed a call, then its arguments in pieces (OpenAI's
// way). The call then also arrives whole, through toolCalls, under the same
// ID. Outputs without it get calls whole only.
type callStreamer interface {
	toolCallStart(call tools.Call) error
	toolCallArguments(id, piece string) error
}

// answerText is the path of an answer's text from upstream to the client:
// a prefill the model repeated is dropped, tool calls are taken out, and the
// text ends before the first stop sequence. Each stage holds back only what
// may still change: the start of the repetition, a possible call, the start
// of a stop sequence.
type answerText struct {
	trim  *translate.PrefixTrim
	tools *tools.Filter
	stop  *translate.StopFilter
	// events is reused by pass when there is no tool filter: the answer's
	// every delta goes through it. What pass returns is valid until its next
	// call.
	events []tools.Event
}

func newAnswerText(t *turnSpec) *answerText {
	p := &answerText{}
	if t.jsonFormat == nil {
		// An answer in a JSON format is cut where its JSON holds a stop
		// sequence, once the JSON is found (turn): cut here, the cut
		// would keep the prose and code fence before the JSON.
		p.stop = translate.NewStopFilter(t.stop)
	}
	if prefill, ok := translate.Prefill(t.messages); ok {
		p.trim = translate.NewPrefixTrim(prefill)
	}
	if t.tools.Active() {
		p.tools = t.tools.NewFilter()
	}
	return p
}

// plain reports whether the answer's text passes as it comes: no stop
// sequence, prefill or tools to hold any of it back (feed would return each
// piece as the one text event).
func (p *answerText) plain() bool { return p.stop == nil && p.trim == nil && p.tools == nil }

func (p *answerText) stopped() bool   { return p.stop.Stopped() }
func (p *answerText) matched() string { return p.stop.Matched() }

// feed takes a piece of the answer and returns what the client gets now,
// valid until the next feed or flush. Nothing passes once a stop sequence has ended the answer.
func (p *answerText) feed(s string) []tools.Event {
	if p.stop.Stopped() {
		return nil
	}
	return p.pass(p.trim.Feed(s), false)
}

// flush ends the answer: everything still held is released.
func (p *answerText) flush() []tools.Event {
	if p.stop.Stopped() {
		return nil
	}
	return p.pass(p.trim.Flush(), true)
}

// cut ends an answer cut short at the client's limit of output tokens: what
// is held back because it may still become something else — the
// prefill's repetition, a call's markup — goes (tools.Filter.CutEvents), a
// started call ends incomplete, and text held for a stop sequence's start
// is the answer's.
func (p *answerText) cut() []tools.Event {
	if p.stop.Stopped() {
		return nil
	}
	p.trim.Cut()
	var events []tools.Event
	if p.tools != nil {
		events = p.tools.CutEvents()
	}
	return p.stopAt(append(events, tools.Event{Kind: tools.EventText}), true) // the empty text: where the stop filter's tail goes
}

func (p *answerText) pass(s string, end bool) []tools.Event {
	var events []tools.Event
	if p.tools == nil {
		p.events = append(p.events[:0], tools.Event{Kind: tools.EventText, Text: s})
		events = p.events
	} else {
		events = p.tools.FeedEvents(s)
		if end {
			events = append(events, p.tools.FlushEvents()...)
		}
	}
	if end {
		events = append(events, tools.Event{Kind: tools.EventText}) // where the stop filter's tail goes
	}
	return p.stopAt(events, end)
}

// stopAt passes events' text through the stop filter, ending them where a
// stop sequence ends the answer; with end, the filter's held tail goes with
// the last event.
func (p *answerText) stopAt(events []tools.Event, end bool) []tools.Event {
	out := events[:0]
	for i, ev := range events {
		if ev.Kind == tools.EventText {
			ev.Text = p.stop.Feed(ev.Text)
			if end && i == len(events)-1 {
				ev.Text += p.stop.Flush()
			}
			if ev.Text != "" {
				out = append(out, ev)
			}
		} else {
			out = append(out, ev)
		}
		if p.stop.Stopped() {
			break // the answer ended here: nothing after it
		}
	}
	return out
}

// advance moves the session past the answered turn. The next turn hangs
// under the created event's response_id (the answer) before its parent_id
// (the user message just sent), as the web client's tree and the 2026
// clients that chain turns do (qwen-wire.md §4.4, S13): under the user
// message the answer would be a sibling of the next turn, not on its
// thread, and a model that reads its thread would lose its own answers (its
// tool calls among them). The original's chaining to parent_id rested on a
// recall check that asked only for what the user had said. It reports
// whether the session went on from the answer (not, for an answer without
// an id to hang the next turn under).
func (s *Server) advance(turn *session.Turn, t *turnSpec, ans *translate.Answer, out output, requestID string) bool {
	msgs, set := t.messages, t.tools
	parent := cmp.Or(ans.Created.ResponseID, ans.Created.ParentID)
	if parent == "" {
		s.log.Warn("answer without parent id; session not advanced", "session_id", turn.Session.ID)
		turn.Touch()
		return false
	}
	// The chat's latest answer is this call's: a previous_response_id
	// naming an earlier one branches off (session.Request.Continues).
	turn.Session.LastRequestID = requestID
	answer := out.message()
	if t.conversation != "" {
		// Only the conversation's responses go on in its chat: a history
		// resent to another API must not find it (keyless, it is found by
		// its id alone), or the conversation's next response would see a
		// turn its listing has not.
		callIDs, callNames := callsOf(answer)
		turn.Advance(parent, "", callIDs, callNames)
		return true
	}
	if t.compacts {
		// The summary is all the client keeps: its next request begins
		// with it (its text, as the compaction block is read back).
		turn.Advance(parent, session.Key(t.compactKept, &qp.Message{Role: "assistant", Text: answer.Text}), nil, nil)
		return true
	}
	if prefill, ok := translate.Prefill(msgs); ok {
		// The client keeps the begun answer and its continuation as one
		// message: that is what it will resend.
		whole := *answer
		whole.Text = prefill + whole.Text
		msgs, answer = msgs[:len(msgs)-1], &whole
	}
	keyedAnswer, keyedMsgs := keyed(set, []qp.Message{*answer}), keyed(set, msgs)
	callIDs, callNames := callsOf(answer)
	turn.Merged(keyedMsgs, &keyedAnswer[0]) // after a cut, the answer as a client may keep it with the cut's part
	turn.Advance(parent, session.Key(keyedMsgs, &keyedAnswer[0]), callIDs, callNames)
	return true
}

// callsOf returns what the results of the answer's calls will name, and
// their tools.
func callsOf(answer *qp.Message) (callIDs, callNames []string) {
	for _, tc := range answer.ToolCalls {
		callIDs, callNames = append(callIDs, tc.ID), append(callNames, tc.Name)
	}
	return callIDs, callNames
}

// keyed returns msgs as session.Key takes them: each tool call's arguments
// without the values its tool's schema gives as defaults
// (tools.Set.WithoutDefaults), as agents resend calls with those filled in
// (Claude Code's Edit, "replace_all": false). msgs is left as it is.
func keyed(set *tools.Set, msgs []qp.Message) []qp.Message {
	out, cloned := msgs, false
	for i := range msgs {
		var calls []qp.ToolCall // msgs[i]'s, with arguments changed
		for j, tc := range msgs[i].ToolCalls {
			args := set.WithoutDefaults(tc.Name, tc.Arguments)
			if args == tc.Arguments {
				continue
			}
			if calls == nil {
				calls = slices.Clone(msgs[i].ToolCalls)
			}
			calls[j].Arguments = args
		}
		if calls != nil {
			if !cloned {
				out, cloned = slices.Clone(msgs), true
			}
			out[i].ToolCalls = calls
		}
	}
	return out
}
