package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/session"
	"qwenproxy/internal/tools"
	"qwenproxy/internal/translate"
)

// turnSpec is one validated call to answer: a chat turn or a legacy prompt.
type turnSpec struct {
	legacy       bool
	model        string
	stream       bool
	includeUsage bool
	thinking     bool
	messages     []openai.Message
	sessionID    string     // X-Session-Id, already validated
	tools        *tools.Set // nil or inactive: answers are never rewritten
}

// errClientGone marks a failed write to the client; it is a cancellation.
var errClientGone = fmt.Errorf("client went away: %w", context.Canceled)

// answer runs one turn against Qwen and answers the client, recording the
// call exactly once whatever happens.
func (s *Server) answer(c *call, t turnSpec) {
	defer s.finish(c)
	attempts := &qwen.AttemptLog{}
	defer func() { c.ex.Response.UpstreamErrors = attempts.Failures }()
	ctx := qwen.WithAttemptLog(c.r.Context(), attempts)
	rq, rs := &c.ex.Request, &c.ex.Response
	rq.Model, rq.Stream = t.model, t.stream

	if err := s.deps.Accounts.Unavailable(); err != nil {
		c.fail(classify(err))
		return
	}
	turn, opened, err := s.beginTurn(ctx, c, t)
	if err != nil {
		c.fail(classify(err))
		return
	}
	defer turn.Release()
	account, err := s.beginAccount(ctx, c, t, turn, opened)
	if err != nil {
		turn.Touch()
		c.fail(classify(err))
		return
	}

	sess := &turn.Session
	ans, out, told, actx, err := s.ask(ctx, c, t, turn, account)
	defer func() {
		if !c.accountReported {
			s.deps.Accounts.Report(accounts.From(actx), err)
		}
	}()
	if err == nil && t.tools.Active() && !t.tools.Satisfied(out.calls()) {
		// One corrective turn, under the answer that broke tool_choice.
		out.reset()
		correction := qwen.MessageSpec{Role: "user", Content: t.tools.Correction(), Thinking: t.thinking}
		ans, _, err = s.exchange(actx, c, t, sess.ChatID, cmp.Or(ans.Created.ResponseID, ans.Created.ParentID), correction, out)
		if err == nil && !t.tools.Satisfied(out.calls()) {
			err = errToolChoice
		}
	}
	if err != nil {
		turn.Touch() // a failed turn still keeps the session alive
		rs.OpenAIResponse = out.finish(ans, "")
		out.fail(classify(err))
		return
	}
	finish := "stop"
	if len(out.calls()) > 0 {
		finish = "tool_calls"
	}
	// Advance before the client sees the end of the answer: its next turn may
	// follow at once and must find the session by its new key.
	turn.SetTold(told.System, told.Tools)
	s.advance(turn, t.messages, ans, out)
	rs.FinishReason = finish
	rs.OpenAIResponse = out.finish(ans, finish)
}

// errToolChoice is an answer that still ignores tool_choice after a retry.
var errToolChoice = &qwen.Error{Kind: qwen.KindBadResponse, Code: "tool_choice_unmet",
	Message: "the model did not call the function that tool_choice requires, even when asked again"}

// exchange sends one completion upstream and pumps its answer into out
// (created on the first exchange of a call, when out is nil). It records
// the upstream side of the call.
func (s *Server) exchange(ctx context.Context, c *call, t turnSpec, chatID, parentID string, spec qwen.MessageSpec, out output) (*translate.Answer, output, error) {
	rq, rs := &c.ex.Request, &c.ex.Response
	ans := &translate.Answer{}
	stream, body, attempts, err := s.deps.Upstream.Complete(ctx, qwen.NewCompletionRequest(chatID, parentID, t.model, s.now(), spec))
	if rq.QwenRequest == nil || err == nil {
		rq.QwenRequest = body // what the answer came from, when one did (after a move to another account)
	}
	rs.UpstreamAttempts += attempts
	if err != nil {
		if out == nil {
			out = s.newOutput(c, t, false)
		}
		return ans, out, err
	}
	defer stream.Close()
	if out == nil {
		out = s.newOutput(c, t, true)
	}
	err = s.pump(stream, ans, out, c, t.tools)
	rs.QwenResponse = ans.UpstreamRecord()
	rs.ParentID = ans.Created.ParentID
	u := ans.Usage()
	rs.PromptTokens += u.PromptTokens
	rs.CompletionTokens += u.CompletionTokens
	rs.TotalTokens += u.TotalTokens
	return ans, out, err
}

// beginTurn resolves and holds the call's session. opened is the account
// a new chat was opened on, "" when the session continues its chat.
func (s *Server) beginTurn(ctx context.Context, c *call, t turnSpec) (_ *session.Turn, opened string, _ error) {
	history, _ := translate.Split(t.messages)
	rs := &c.ex.Response
	turn, err := s.deps.Sessions.Begin(ctx, session.Request{
		ExplicitID: t.sessionID,
		PrefixKey:  session.Key(history, nil),
		HasHistory: translate.HasEarlierTurns(history),
		Model:      t.model,
		FirstUser:  translate.FirstUserText(t.messages),
		NewChat: func(ctx context.Context) (string, error) {
			id, account, err := s.openChat(ctx, c, t, map[string]bool{})
			opened = account
			return id, err
		},
	})
	if err != nil {
		return nil, "", err
	}
	c.ex.Request.SessionID, rs.ChatID = turn.Session.ID, turn.Session.ChatID
	c.w.Header().Set("X-Session-Id", turn.Session.ID)
	return turn, opened, nil
}

// pump reads the upstream answer to its end, forwarding text as it comes.
// With tools, text passes through a filter that holds back only what may be
// a call.
func (s *Server) pump(stream *qwen.Stream, ans *translate.Answer, out output, c *call, set *tools.Set) error {
	rs := &c.ex.Response
	var filter *tools.Filter
	if set.Active() {
		filter = set.NewFilter()
	}
	emit := func(text string, calls []tools.Call) error {
		if text != "" {
			if err := out.content(text); err != nil {
				return err
			}
		}
		if len(calls) > 0 {
			return out.toolCalls(calls)
		}
		return nil
	}
	for !ans.Finished {
		ev, err := stream.Next()
		if errors.Is(err, io.EOF) {
			err = ans.Unfinished()
		}
		if err != nil {
			if filter != nil {
				text, _ := filter.Flush() // keep what arrived, for the record
				out.hold(text)
			}
			return err
		}
		content, reasoning := ans.Add(ev)
		if (content != "" || reasoning != "") && rs.FirstTokenAt.IsZero() {
			rs.FirstTokenAt = s.now()
		}
		if reasoning != "" {
			if err := out.reasoning(reasoning); err != nil {
				return err
			}
		}
		if content != "" {
			text, calls := content, []tools.Call(nil)
			if filter != nil {
				text, calls = filter.Feed(content)
			}
			if err := emit(text, calls); err != nil {
				return err
			}
		}
		// Flush only when nothing more is already waiting: a burst of
		// upstream events then costs one flush.
		if stream.Buffered() == 0 {
			out.flush()
		}
	}
	if filter != nil {
		if err := emit(filter.Flush()); err != nil {
			return err
		}
	}
	return ans.Empty()
}

// advance moves the session past the answered turn.
func (s *Server) advance(turn *session.Turn, msgs []openai.Message, ans *translate.Answer, out output) {
	parent := cmp.Or(ans.Created.ParentID, ans.Created.ResponseID)
	if parent == "" {
		s.log.Warn("answer without parent id; session not advanced", "session_id", turn.Session.ID)
		turn.Touch()
		return
	}
	turn.Advance(parent, session.Key(msgs, out.message()))
}
