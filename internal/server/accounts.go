package server

import (
	"cmp"
	"context"
	"errors"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/session"
	"qwenproxy/internal/translate"
)

// A Qwen chat belongs to the account that created it (another account's
// token gets "not found" for it), so a conversation stays on its account.
// When that account cannot take the turn — rate-limited, refused, behind a
// firewall, failing — the turn opens a new chat on another account with the
// history replayed, before any byte has reached the client. An expired
// token is replaced once (a new sign-in of the same account) and the call
// retried on it.

// openChat opens a Qwen chat for a new conversation on the least recently
// used usable account, moving on to the next account while the failure is
// the account's. It returns the chat and its account.
func (s *Server) openChat(ctx context.Context, c *call, t *turnSpec, tried map[string]bool) (chatID, account string, err error) {
	var last error
	for {
		account, perr := s.nextAccount(tried, last)
		if perr != nil {
			return "", "", perr
		}
		chatID, err := s.newChatOn(ctx, c, t, account)
		if err == nil {
			return chatID, account, nil
		}
		if !s.accountFault(account, err) || ctx.Err() != nil {
			return "", "", err
		}
		tried[account], last = true, err
	}
}

// newChatOn opens a chat on account, signing it in again once when Qwen
// says its token expired.
func (s *Server) newChatOn(ctx context.Context, c *call, t *turnSpec, account string) (string, error) {
	actx := accounts.With(ctx, account)
	c.ex.Request.Account = account // the call's account, until another serves it
	refreshed := false
	for {
		before, _ := s.deps.Accounts.Credentials(actx)
		id, tried, err := s.deps.Upstream.NewChatOf(actx, t.model, t.chatType())
		c.upstreamTried(&c.ex.Response.NewChatAttempts, tried)
		if err != nil && !refreshed {
			var retry bool
			if retry, err = s.refresh(actx, account, before, err); retry {
				refreshed = true
				continue
			}
		}
		return id, err
	}
}

// refresh signs account in again when err is Qwen refusing its token (and
// not a sign-in that just failed). It reports whether the call should be
// tried again on the fresh token, and the failure to go on with otherwise:
// err, or the sign-in's own when it failed — which says what happened (a
// firewall at sign-in, a refused password), where the expired token's 401
// would tell the client its credentials were rejected.
func (s *Server) refresh(ctx context.Context, account string, before qwen.Credentials, err error) (bool, error) {
	if qe, ok := qwen.AsError(err); !ok || qe.Kind != qwen.KindAuth {
		return false, err
	}
	ok, rerr := s.deps.Accounts.Refresh(ctx, account, before.Cookies, err)
	if rerr != nil {
		s.resignInFailed(account, rerr)
		return false, rerr
	}
	return ok, err
}

// resignInFailed tells health what the failed sign-in that was to renew
// account's refused token met, in place of the token's 401 (which
// UpstreamResult heard as "credentials rejected"): the firewall, or Qwen
// refusing the password, or — anything else, a rest the account's state
// tells — no refusal of its credentials at all.
func (s *Server) resignInFailed(account string, err error) {
	var se *accounts.SignInError
	if !errors.As(err, &se) {
		return
	}
	if qe := se.Upstream(); qe.Kind == qwen.KindAuth || qe.Kind == qwen.KindFirewall {
		s.UpstreamResult(account, qe)
		return
	}
	s.rejected.clear(account)
}

// nextAccount picks the least recently used account not in tried. When none
// is left it returns why (the pool's answer, last completing its message),
// or last, the failure of the account tried last, when that says more (see
// poolWide).
func (s *Server) nextAccount(tried map[string]bool, last error) (string, error) {
	account, err := s.deps.Accounts.Pick(tried)
	if err == nil {
		return account, nil
	}
	if last != nil && !poolWide(err) {
		return "", last
	}
	var u *accounts.Unavailable
	if errors.As(err, &u) && last != nil {
		u.Last = last
	}
	return "", err
}

// accountFault reports err to the pool when it is the account's fault and
// says whether another account may do better.
func (s *Server) accountFault(account string, err error) bool {
	if accounts.ClassOf(err) == "" || errors.Is(err, context.Canceled) {
		return false
	}
	s.deps.Accounts.Report(account, err)
	return true
}

// beginAccount settles the account of the turn's conversation: a new
// session keeps the account its chat was opened on; a continued one keeps
// its own, unless that account can no longer take calls, in which case the
// conversation moves to a new chat on another account, its history
// replayed. It returns the account.
func (s *Server) beginAccount(ctx context.Context, c *call, t *turnSpec, turn *session.Turn, opened string) (string, error) {
	if opened != "" {
		turn.Session.Account = opened
		return opened, nil
	}
	account := cmp.Or(turn.Session.Account, accounts.CookieID) // sessions from before accounts used the cookie
	if s.deps.Accounts.Usable(account) {
		return account, nil
	}
	return s.moveConversation(ctx, c, t, turn, map[string]bool{account: true}, nil)
}

// poolWide reports whether err says that no account is left in a way that
// speaks for the pool better than the last account's own failure: for a
// reason every account shares (all over their quota, all refused), or,
// with several accounts, none usable at all any more — the call's failures
// ran them out, and it is answered as the next call will be (the pool's
// status, the soonest account's Retry-After, the accounts in each state),
// the last failure only completing the message. An account still usable,
// tried already in this call (one a timeout left usable), leaves the last
// failure to answer, as does the only account of a pool of one.
func poolWide(err error) bool {
	var u *accounts.Unavailable
	if !errors.As(err, &u) {
		return false
	}
	return u.Reason == accounts.ReasonRateLimited || u.Reason == accounts.ReasonRejected ||
		u.Accounts > 1 && u.Tried == 0 && u.Reason != accounts.ReasonNone
}

// moveConversation opens a new chat for the turn's conversation on an
// account not in tried and points the session at it; the next completion
// replays the history. cause is the failure that made the move necessary,
// returned when no account can take over.
func (s *Server) moveConversation(ctx context.Context, c *call, t *turnSpec, turn *session.Turn, tried map[string]bool, cause error) (string, error) {
	chatID, account, err := s.openChat(ctx, c, t, tried)
	if err != nil {
		var u *accounts.Unavailable
		if cause != nil && errors.As(err, &u) && !poolWide(u) {
			return "", cause
		}
		if u != nil && u.Last == nil {
			u.Last = cause
		}
		return "", err
	}
	replayed, err := t.replayed(ctx)
	if err != nil {
		return "", err // the conversation to tell the new chat could not be read
	}
	history, _ := translate.Split(replayed)
	turn.Rechat(chatID) // a new chat: nothing told yet
	turn.Session.Account = account
	turn.Replay = translate.HasEarlierTurns(history)
	c.ex.Response.ChatID = chatID
	s.log.Info("conversation moved to another Qwen account", "session_id", turn.Session.ID, "account", account)
	return account, nil
}
