package server

import (
	"context"

	qp "qwenproxy"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/session"
	"qwenproxy/internal/translate"
)

// emptyAnswerRetries is how many times an answer without any text is asked
// for again while the client has been sent nothing of it.
const emptyAnswerRetries = 2

// ask sends the turn's one message and pumps the answer into the call's
// output. It decides what the message states (the system prompt and tools,
// whole, on a new chat or when they differ from what the chat was last told)
// and returns what the chat has been told once the answer is in.
//
// Two failures are mended on the way, both before the client has seen any
// text: an empty answer is asked for again, and a chat Qwen no longer knows
// (deleted in the web UI, another account, a restarted upstream), or one
// still busy with an answer its client left when the client resent the
// conversation, is replaced by a new one into which the conversation so
// far is replayed.
//
// It speaks as account and returns the context naming the account that
// answered: a failure of the account before the answer started moves the
// conversation to another account (a refused token first gets one fresh
// sign-in of the same account).
func (s *Server) ask(ctx context.Context, c *call, t *turnSpec, turn *session.Turn, out output, account string) (*translate.Answer, translate.Told, context.Context, error) {
	now := translate.ToldOf(t.messages, t.tools)
	var full []qp.Message // what a new chat is told: read once, when needed
	var fullErr error     // the database's failure to give it: fails the turn
	replayed := func() []qp.Message {
		if full == nil && fullErr == nil {
			var msgs []qp.Message
			if msgs, fullErr = t.replayed(ctx); fullErr == nil {
				full = s.takenAlong(ctx, t, msgs)
			}
		}
		return full
	}
	// A chat with no answered turn is told the conversation a
	// previous_response_id stands for: the session's chat was replaced
	// (Qwen no longer knew it) and the turn there failed.
	replay := turn.Replay || turn.FirstTurn() && t.earlier != nil && resent(replayed())
	if fullErr != nil {
		return &translate.Answer{}, translate.Told{}, accounts.With(ctx, account), fullErr
	}
	empties, rechatted, refreshed := 0, false, false
	tried := map[string]bool{}
	for {
		actx := accounts.With(ctx, account)
		c.ex.Request.Account = account
		before, _ := s.deps.Accounts.Credentials(actx)
		system, tools := turn.Told()
		tell, withdrawn, next := translate.Decide(turn.FirstTurn(), translate.Told{System: system, Tools: tools}, now)
		plan := translate.Plan{Tell: tell, ToolsWithdrawn: withdrawn, Replay: replay, Thinking: t.thinking, Tools: t.tools}
		if !replay {
			plan.Unseen = turn.Unseen
		}
		if t.jsonFormat != nil {
			plan.Instructions = t.jsonFormat.Instructions()
		}
		sess := &turn.Session
		messages := t.messages
		if replay {
			if messages = replayed(); fullErr != nil {
				return &translate.Answer{}, next, actx, fullErr
			}
		}
		spec := translate.UpstreamMessage(messages, plan)
		var err error
		if spec.Files, err = s.turnFiles(actx, c, t, sess.ChatID, replay, messages); err == nil {
			err = s.offloadContext(actx, c, sess.ChatID, &spec)
		}
		if err != nil {
			// The files go up with the account's token, first in a continued
			// conversation's turn: a token Qwen refuses there signs in afresh
			// once, as at the completion, rather than failing the call.
			if !refreshed {
				var retry bool
				if retry, err = s.refresh(actx, account, before, err); retry {
					refreshed = true
					continue
				}
			}
			return &translate.Answer{}, next, actx, err
		}
		ans, err := s.askUpstream(actx, c, t, sess.ChatID, sess.ParentID, spec, out)
		qe, _ := qwen.AsError(err)
		if qe != nil && qe.Kind == qwen.KindEmptyAnswer && ans.Events > 0 {
			// The request succeeded and its answer proved empty: its attempt
			// failed, though the request's own tries counted none.
			c.ex.Response.UpstreamErrors = append(c.ex.Response.UpstreamErrors, "completions: "+string(qe.Kind))
		}
		// Nothing of the answer has reached the client: none began, or
		// the client takes it whole at the end (an image's padding aside).
		unsent := ans.Events == 0 || !t.stream && !t.image
		retry := false
		if err != nil && unsent && !refreshed {
			retry, err = s.refresh(actx, account, before, err)
			qe, _ = qwen.AsError(err)
		}
		switch {
		case retry:
			refreshed = true // the same account, signed in afresh: its chat is still its own
			out.restart()
		case err != nil && unsent && s.accountFault(account, err):
			if ctx.Err() != nil {
				c.accountReported = true
				return ans, next, actx, err
			}
			out.restart() // what the broken answer gave, if anything
			tried[account] = true
			moved, merr := s.moveConversation(ctx, c, t, turn, tried, err)
			if merr != nil {
				c.accountReported = true
				return ans, next, actx, merr
			}
			account, refreshed, replay = moved, false, turn.Replay
		case qe == nil: // success, or not Qwen's failure (the client left)
			return ans, next, actx, err
		case ans.Events == 0 && !rechatted && (qe.Kind == qwen.KindNotFound || qe.Kind == qwen.KindBusy && resent(replayed())):
			// A chat Qwen no longer knows, or one still busy past the
			// retries (generating an answer whose client left: qwen-wire.md
			// §4.4) while the client has resent the conversation to replay.
			rechatted = true
			chatID, tried, err := s.deps.Upstream.NewChatOf(actx, t.model, t.chatType())
			c.upstreamTried(&c.ex.Response.NewChatAttempts, tried)
			if err != nil {
				return ans, next, actx, err
			}
			why := "Qwen no longer knows the session's chat"
			if qe.Kind == qwen.KindBusy {
				why = "the session's chat is still busy with an earlier answer"
			}
			s.log.Warn(why+"; continuing in a new chat with the history replayed",
				"session_id", sess.ID, "old_chat_id", sess.ChatID, "chat_id", chatID)
			turn.Rechat(chatID)
			c.ex.Response.ChatID = chatID
			history, _ := translate.Split(replayed())
			if fullErr != nil {
				return ans, next, actx, fullErr
			}
			replay = translate.HasEarlierTurns(history)
		case qe.Kind == qwen.KindEmptyAnswer && ans.Events > 0 && (!t.stream || ans.Reasoning() == "") && empties < emptyAnswerRetries:
			// An answer that started and ended without text, of which
			// nothing reached the client (a non-streamed answer is sent
			// whole at the end): ask again. (One that never started was
			// retried by the client already.)
			empties++
			out.restart() // its reasoning too: it is not the answer's
		default:
			return ans, next, actx, err
		}
	}
}

// resent reports whether messages, a turn's as replayed, carry earlier
// turns: a conversation a new chat can be told.
func resent(messages []qp.Message) bool {
	history, _ := translate.Split(messages)
	return translate.HasEarlierTurns(history)
}
