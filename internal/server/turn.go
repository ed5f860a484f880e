package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/session"
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
	sessionID    string // X-Session-Id, already validated
}

// errClientGone marks a failed write to the client; it is a cancellation.
var errClientGone = fmt.Errorf("client went away: %w", context.Canceled)

// answer runs one turn against Qwen and answers the client, recording the
// call exactly once whatever happens.
func (s *Server) answer(c *call, t turnSpec) {
	defer s.finish(c)
	ctx := c.r.Context()
	rq, rs := &c.ex.Request, &c.ex.Response
	rq.Model, rq.Stream = t.model, t.stream

	if _, err := s.deps.Credentials.Credentials(ctx); err != nil {
		c.fail(classify(err))
		return
	}
	turn, err := s.beginTurn(ctx, c, t)
	if err != nil {
		c.fail(classify(err))
		return
	}
	defer turn.Release()

	sess := turn.Session
	specs := translate.UpstreamMessages(t.messages, translate.Plan{FirstTurn: turn.FirstTurn(), Replay: turn.Replay, Thinking: t.thinking})
	body, err := json.Marshal(qwen.NewCompletionRequest(sess.ChatID, sess.ParentID, t.model, s.now(), specs...))
	if err != nil {
		c.fail(classify(fmt.Errorf("encode upstream request: %w", err)))
		return
	}
	rq.QwenRequest = body
	stream, attempts, err := s.deps.Upstream.Complete(ctx, sess.ChatID, body)
	rs.UpstreamAttempts += attempts
	if err != nil {
		s.touch(turn)
		c.fail(classify(err))
		return
	}
	defer stream.Close()

	out := s.newOutput(c, t)
	var ans translate.Answer
	err = s.pump(stream, &ans, out, c)
	rs.QwenResponse = ans.UpstreamRecord()
	rs.ParentID = ans.Created.ParentID
	u := ans.Usage()
	rs.PromptTokens, rs.CompletionTokens, rs.TotalTokens = u.PromptTokens, u.CompletionTokens, u.TotalTokens
	if err != nil {
		s.touch(turn)
		f := classify(err)
		rs.OpenAIResponse = out.finish(&ans, "")
		out.fail(f)
		return
	}
	// Advance before the client sees the end of the answer: its next turn may
	// follow at once and must find the session by its new key.
	s.advance(ctx, turn, t.messages, &ans)
	rs.FinishReason = "stop"
	rs.OpenAIResponse = out.finish(&ans, rs.FinishReason)
}

// beginTurn resolves and holds the call's session.
func (s *Server) beginTurn(ctx context.Context, c *call, t turnSpec) (*session.Turn, error) {
	history, _ := translate.Split(t.messages)
	rs := &c.ex.Response
	turn, err := s.deps.Sessions.Begin(ctx, session.Request{
		ExplicitID: t.sessionID,
		PrefixKey:  session.Key(history, nil),
		HasHistory: translate.HasEarlierTurns(history),
		Model:      t.model,
		FirstUser:  translate.FirstUserText(t.messages),
		NewChat: func(ctx context.Context) (string, error) {
			id, n, err := s.deps.Upstream.NewChat(ctx, t.model)
			rs.UpstreamAttempts += n
			return id, err
		},
	})
	if err != nil {
		return nil, err
	}
	c.ex.Request.SessionID, rs.ChatID = turn.Session.ID, turn.Session.ChatID
	c.w.Header().Set("X-Session-Id", turn.Session.ID)
	return turn, nil
}

// pump reads the upstream answer to its end, forwarding text as it comes.
func (s *Server) pump(stream *qwen.Stream, ans *translate.Answer, out output, c *call) error {
	rs := &c.ex.Response
	for !ans.Finished {
		ev, err := stream.Next()
		if errors.Is(err, io.EOF) {
			return &qwen.Error{Kind: qwen.KindStreamCut, Message: "Qwen closed the stream before the answer finished"}
		}
		if err != nil {
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
			if err := out.content(content); err != nil {
				return err
			}
		}
		// Flush only when nothing more is already waiting: a burst of
		// upstream events then costs one flush.
		if stream.Buffered() == 0 {
			out.flush()
		}
	}
	return nil
}

// advance moves the session past the answered turn. The answer has been
// produced, so a failure here is logged, not returned: the next turn then
// opens a new chat and replays the history.
func (s *Server) advance(ctx context.Context, turn *session.Turn, msgs []openai.Message, ans *translate.Answer) {
	parent := ans.Created.ParentID
	if parent == "" {
		parent = ans.Created.ResponseID
	}
	if parent == "" {
		s.log.Warn("answer without parent id; session not advanced", "session_id", turn.Session.ID)
		return
	}
	content, _ := json.Marshal(ans.Content())
	next := session.Key(msgs, &openai.Message{Role: "assistant", Content: content})
	if err := turn.Advance(context.WithoutCancel(ctx), parent, next); err != nil {
		s.log.Error("advance session failed", "session_id", turn.Session.ID, "err", err)
	}
}

// touch keeps a session alive after a failed turn.
func (s *Server) touch(turn *session.Turn) {
	if err := turn.Touch(context.Background()); err != nil {
		s.log.Warn("touch session failed", "session_id", turn.Session.ID, "err", err)
	}
}
