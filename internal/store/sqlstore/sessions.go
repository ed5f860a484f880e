package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	qp "qwenproxy"
)

const sessionColumns = `id, chat_id, COALESCE(parent_id, ''), model, first_user_message, message_count,
	COALESCE(conversation_hash, ''), created_at, last_accessed, expires_at, told_system_hash, told_tools_hash,
	COALESCE(api_key_id, ''), COALESCE(account, ''), last_call_ids, named, COALESCE(chat_deleted_at, 0), last_call_names, last_request_id, branched_from,
	prior_parent_id, prior_request_id, prior_call_ids, prior_call_names, prior_told_system_hash, prior_told_tools_hash,
	COALESCE(cut_conversation_hash, ''), cut_state, COALESCE(prior_conversation_hash, ''), COALESCE(client_session_id, '')`

func scanSession(row interface{ Scan(...any) error }, extra ...any) (*qp.Session, error) {
	var s qp.Session
	var created, accessed, expires, named, chatDeleted int64
	var callIDs, callNames, priorCallIDs, priorCallNames string
	dest := []any{&s.ID, &s.ChatID, &s.ParentID, &s.Model, &s.FirstUserMessage, &s.MessageCount,
		&s.ConversationKey, &created, &accessed, &expires, &s.ToldSystemHash, &s.ToldToolsHash, &s.APIKeyID, &s.Account, &callIDs,
		&named, &chatDeleted, &callNames, &s.LastRequestID, &s.BranchedFrom,
		&s.Prior.ParentID, &s.Prior.RequestID, &priorCallIDs, &priorCallNames, &s.Prior.ToldSystemHash, &s.Prior.ToldToolsHash,
		&s.CutKey, &s.CutState, &s.Prior.ConversationKey, &s.ClientSessionID}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastAccessed, s.ExpiresAt = time.UnixMilli(created), time.UnixMilli(accessed), time.UnixMilli(expires)
	s.Named = named != 0
	if chatDeleted != 0 {
		s.ChatDeletedAt = time.UnixMilli(chatDeleted)
	}
	s.LastCallIDs, s.LastCallNames = spaceSeparated(callIDs), spaceSeparated(callNames)
	s.Prior.CallIDs, s.Prior.CallNames = spaceSeparated(priorCallIDs), spaceSeparated(priorCallNames)
	return &s, nil
}

// upsertSession writes a session's whole current state (its first user
// message too: a session a side call opened is renamed by its main thread,
// see session.Request.Tools; a state without one keeps the stored one, as
// qp.Session.Replacing has it). Once named, a
// session stays named; the deletion of its chat (written by
// MarkChatDeleted, not by the state the turns write behind) is kept while
// the session stays on that chat and forgotten when it moves to another.
// The session a branch branched off from is its own from its first state,
// and changes only when that one is deleted (reparentBranches): a state
// written after, from memory, names the deleted one still. So is the
// client's id of the conversation (client_session_id, the opening call's):
// a state with none (written by a build before it was kept, replayed from
// the spool) does not erase it.
const upsertSession = sessionsInsert + sessionRow + sessionsOnConflict

// upsertSessions is upsertSession for n states of n sessions at once (no
// session twice: PostgreSQL refuses a statement that would update a row
// twice).
var upsertSessions = byRows(func(n int) string { return sessionsInsert + values(sessionRow, n) + sessionsOnConflict })

const sessionsInsert = `INSERT INTO sessions
	(id, chat_id, parent_id, model, first_user_message, message_count, conversation_hash, created_at, last_accessed, expires_at,
		told_system_hash, told_tools_hash, api_key_id, account, last_call_ids, named, chat_deleted_at, last_call_names, last_request_id, branched_from,
		prior_parent_id, prior_request_id, prior_call_ids, prior_call_names, prior_told_system_hash, prior_told_tools_hash,
		cut_conversation_hash, cut_state, prior_conversation_hash, client_session_id)
	VALUES `

// sessionRow is one state's placeholders, sessionArgs's values.
const sessionRow = `(?, ?, NULLIF(?, ''), ?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), ?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), ?, NULLIF(?, ''), NULLIF(?, ''))`

// sessionFields is the number of sessionRow's values.
const sessionFields = 30

const sessionsOnConflict = `
	ON CONFLICT(id) DO UPDATE SET chat_id = excluded.chat_id, parent_id = excluded.parent_id, model = excluded.model, account = excluded.account,
		first_user_message = COALESCE(NULLIF(excluded.first_user_message, ''), sessions.first_user_message),
		message_count = excluded.message_count, conversation_hash = excluded.conversation_hash, last_call_ids = excluded.last_call_ids,
		last_call_names = excluded.last_call_names, last_request_id = excluded.last_request_id,
		prior_parent_id = excluded.prior_parent_id, prior_request_id = excluded.prior_request_id,
		prior_call_ids = excluded.prior_call_ids, prior_call_names = excluded.prior_call_names,
		prior_told_system_hash = excluded.prior_told_system_hash, prior_told_tools_hash = excluded.prior_told_tools_hash,
		cut_conversation_hash = excluded.cut_conversation_hash, cut_state = excluded.cut_state,
		prior_conversation_hash = excluded.prior_conversation_hash,
		told_system_hash = excluded.told_system_hash, told_tools_hash = excluded.told_tools_hash,
		last_accessed = excluded.last_accessed, expires_at = excluded.expires_at,
		named = CASE WHEN excluded.named = 1 THEN 1 ELSE sessions.named END,
		client_session_id = COALESCE(sessions.client_session_id, excluded.client_session_id),
		chat_deleted_at = CASE WHEN excluded.chat_id = sessions.chat_id THEN COALESCE(excluded.chat_deleted_at, sessions.chat_deleted_at)
			ELSE excluded.chat_deleted_at END
	-- A state replayed late from the spool never overwrites a newer one.
	WHERE excluded.message_count > sessions.message_count
		OR (excluded.message_count = sessions.message_count AND excluded.last_accessed >= sessions.last_accessed)`

// sessionArgs are a state's values for upsertSession (appendSessionArgs).
func sessionArgs(s *qp.Session) []any { return appendSessionArgs(make([]any, 0, sessionFields), s) }

// appendSessionArgs appends a state's values for sessionRow, its name cut to
// the bound a turn names it by (qp.SessionName): a state an earlier build
// spooled, or a session copied from an earlier history, may carry a whole
// message.
func appendSessionArgs(args []any, s *qp.Session) []any {
	return append(args, s.ID, s.ChatID, s.ParentID, s.Model, qp.SessionName(s.FirstUserMessage), s.MessageCount,
		s.ConversationKey, s.CreatedAt.UnixMilli(), s.LastAccessed.UnixMilli(), s.ExpiresAt.UnixMilli(), s.ToldSystemHash, s.ToldToolsHash,
		s.APIKeyID, s.Account, strings.Join(s.LastCallIDs, " "), boolInt(s.Named), unixMilliOrZero(s.ChatDeletedAt),
		strings.Join(s.LastCallNames, " "), s.LastRequestID, s.BranchedFrom,
		s.Prior.ParentID, s.Prior.RequestID, strings.Join(s.Prior.CallIDs, " "), strings.Join(s.Prior.CallNames, " "),
		s.Prior.ToldSystemHash, s.Prior.ToldToolsHash, s.CutKey, s.CutState, s.Prior.ConversationKey,
		qp.CleanClientSessionID(s.ClientSessionID))
}

// spaceSeparated is a space-separated column's list (nil for none).
func spaceSeparated(col string) []string {
	if col == "" {
		return nil
	}
	return strings.Split(col, " ")
}

// writeSessions upserts a batch's session states, up to maxSessionChunk to
// a statement: on SQLite each statement that writes the session search's
// index (FTS5, migration 0038) flushes that index to disk, a new segment to
// merge, so that a statement per state made it most of a batch's cost. The
// states of one session are written in their order, one a statement: each
// round writes the next state of every session that has one left.
func writeSessions(ctx context.Context, tx *txn, states []qp.Session) error {
	for len(states) > 0 {
		round, rest := nextSessionRound(states)
		for len(round) > 0 {
			n := min(chunkSize(len(round)), maxSessionChunk)
			args := make([]any, 0, n*sessionFields)
			for i := range round[:n] {
				args = appendSessionArgs(args, &round[i])
			}
			if _, err := tx.ExecContext(ctx, upsertSessions(n), args...); err != nil {
				if n == 1 {
					return fmt.Errorf("write session %s: %w", round[0].ID, err)
				}
				return fmt.Errorf("write %d sessions (%s, …): %w", n, round[0].ID, err)
			}
			round = round[n:]
		}
		states = rest
	}
	return nil
}

// maxSessionChunk bounds the states of one statement of writeSessions (a
// power of two): sixteen take nearly all the index's flushes out, and a
// prepared statement of 128 held ~1 MB of SQLite's memory for good.
const maxSessionChunk = 16

// nextSessionRound splits states into the first state of each session and
// the rest, both in their order (states itself when no session repeats: the
// common batch).
func nextSessionRound(states []qp.Session) (round, rest []qp.Session) {
	seen := make(map[string]bool, len(states))
	repeats := false
	for i := range states {
		repeats = repeats || seen[states[i].ID]
		seen[states[i].ID] = true
	}
	if !repeats {
		return states, nil
	}
	clear(seen)
	for i := range states {
		if seen[states[i].ID] {
			rest = append(rest, states[i])
			continue
		}
		seen[states[i].ID] = true
		round = append(round, states[i])
	}
	return round, rest
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// unixMilliOrZero is t in Unix ms, 0 for the zero time.
func unixMilliOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Session returns one session by id, expired or not.
func (s *Store) Session(ctx context.Context, id string) (*qp.Session, error) {
	return s.turnSession(ctx, "read session "+id, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id)
}

// SessionByKey finds the live session whose next expected history hashes to
// key (its conversation_hash, or its cut_conversation_hash: see
// qp.Session.CutKey): the most recently used, or of those whose last answer made the tool
// call callID (when not "") the most recently used. The ids are matched as
// words of last_call_ids, which separates them by spaces: the proxy mints
// call ids, and none holds a space. When client is not "", a session
// opened under another client's conversation id (client_session_id) is
// none: that of client, or one opened without an id, is found.
func (s *Store) SessionByKey(ctx context.Context, key, callID, client string, now time.Time) (*qp.Session, error) {
	query, args := sessionByKey, []any{key, key, now.UnixMilli()}
	if client != "" {
		query = selectByKeyWhere + ofClient + byKeyOrder
		args = append(args, client)
	}
	if callID != "" && !strings.Contains(callID, " ") {
		query = strings.TrimSuffix(query, byKeyOrder) + ` ORDER BY ` + s.dialect.HoldsString(`' ' || last_call_ids || ' '`) + ` DESC, last_accessed DESC LIMIT 1`
		args = append(args, " "+callID+" ")
	}
	return s.turnSession(ctx, "find session by key", query, args...)
}

// turnSession is the session query finds, read as a turn reads one (bounded
// by turnStatementTimeout: sessionlock.go); qp.ErrNotFound when it finds
// none, else its error wrapped as what.
func (s *Store) turnSession(ctx context.Context, what, query string, args ...any) (*qp.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, turnStatementTimeout)
	defer cancel()
	sess, err := scanSession(s.read.QueryRowKept(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return sess, nil
}

// SessionByKey's statement: its condition, that on the client's id (when
// there is one), and its order (when no call id comes first).
const (
	selectByKeyWhere = `SELECT ` + sessionColumns + ` FROM sessions WHERE (conversation_hash = ? OR cut_conversation_hash = ?)
		AND expires_at > ?`
	ofClient     = ` AND (client_session_id IS NULL OR client_session_id = ?)`
	byKeyOrder   = ` ORDER BY last_accessed DESC LIMIT 1`
	sessionByKey = selectByKeyWhere + byKeyOrder
)

// SessionByPriorKey finds the live session whose latest answered turn came
// with the history key hashes to (its prior_conversation_hash: see
// qp.SessionPrior.ConversationKey), last used before before (the turn
// was answered, and its state written, before the request asking it
// again came), whose turn answered the tool call callID (a word of
// prior_call_ids) or, when callID is "", made none: the most recently
// used — of those opened under client's conversation id or none, when
// client is not "" (as SessionByKey).
func (s *Store) SessionByPriorKey(ctx context.Context, key, callID, client string, before, now time.Time) (*qp.Session, error) {
	calls, args := `prior_call_ids = ''`, []any{key, now.UnixMilli(), before.UnixMilli()}
	if callID != "" {
		if strings.Contains(callID, " ") {
			return nil, qp.ErrNotFound // no call id the proxy mints
		}
		calls = s.dialect.HoldsString(`' ' || prior_call_ids || ' '`)
		args = append(args, " "+callID+" ")
	}
	query := sessionByPriorKey + calls + byPriorKeyOrder
	if client != "" {
		query = sessionByPriorKey + calls + ofClient + byPriorKeyOrder
		args = append(args, client)
	}
	return s.turnSession(ctx, "find session by its last turn's key", query, args...)
}

// SessionByPriorKey's statement, but for its condition on the calls and
// its order.
const (
	sessionByPriorKey = `SELECT ` + sessionColumns + ` FROM sessions WHERE prior_conversation_hash = ?
		AND expires_at > ? AND last_accessed < ? AND `
	byPriorKeyOrder = ` ORDER BY last_accessed DESC LIMIT 1`
)

// Deleted reports whether the session id on Qwen chat chatID was deleted:
// its state must never be written back.
func (s *Store) Deleted(ctx context.Context, id, chatID string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, turnStatementTimeout) // a turn's read (sessionlock.go)
	defer cancel()
	var one int
	err := s.read.QueryRowKept(ctx, `SELECT 1 FROM deleted_sessions WHERE id = ? AND chat_id = ?`, id, chatID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read deleted session %s: %w", id, err)
	}
	return true, nil
}

// withoutDeleted leaves out of b the states of deleted sessions, so that
// nothing brings a deleted session back, and the calls a deleted session
// was asked before its delete — in flight, or queued in an instance's
// recorder, as the delete ran —, which went with it: its delete deletes
// its calls, and one written after it must not outlive it (nor its
// Responses API items). A call asked in its chat, or that began before it
// was deleted, was asked before the delete; a later turn naming its id
// opens a new chat and is kept. The calls whose session does not exist
// otherwise (its state lost: dropped over the recorder's memory budget,
// or refused) are recorded without a session, so that no foreign key
// holds a batch back for ever. It returns b itself when nothing changes,
// else a copy, and the indexes in b of the calls kept (nil: all of them).
func withoutDeleted(ctx context.Context, q querier, b qp.Batch) (qp.Batch, []int, error) {
	ids := map[string]bool{}
	for i := range b.Sessions {
		ids[b.Sessions[i].ID] = true
	}
	for i := range b.Exchanges {
		if id := b.Exchanges[i].Request.SessionID; id != "" {
			ids[id] = true
		}
	}
	if len(ids) == 0 {
		return b, nil, nil
	}
	type chat struct{ id, chatID string }
	deleted := map[chat]bool{}
	deletedAt := map[string]int64{} // the latest delete of each id, Unix ms
	err := queryIn(ctx, q, keysOf(ids), selectDeletedSessions, func(rows *sql.Rows) error {
		var c chat
		var at int64
		if err := rows.Scan(&c.id, &c.chatID, &at); err != nil {
			return err
		}
		deleted[c] = true
		deletedAt[c.id] = max(deletedAt[c.id], at)
		return nil
	})
	if err != nil {
		return b, nil, fmt.Errorf("read deleted sessions: %w", err)
	}

	out := qp.Batch{Sessions: b.Sessions, Exchanges: b.Exchanges}
	kept := map[string]bool{} // sessions this batch writes
	if len(deleted) > 0 {
		out.Sessions = nil
		for _, sess := range b.Sessions {
			if !deleted[chat{sess.ID, sess.ChatID}] {
				out.Sessions = append(out.Sessions, sess)
			}
		}
	}
	for _, sess := range out.Sessions {
		kept[sess.ID] = true
	}
	var keptCalls []int
	if len(deleted) > 0 {
		out.Exchanges, keptCalls = nil, []int{} // not nil: none kept
		for i := range b.Exchanges {
			rq := &b.Exchanges[i].Request
			if rq.SessionID != "" && (deleted[chat{rq.SessionID, b.Exchanges[i].Response.ChatID}] ||
				rq.Timestamp.UnixMilli() < deletedAt[rq.SessionID]) {
				continue // asked before its session's delete
			}
			out.Exchanges = append(out.Exchanges, b.Exchanges[i])
			keptCalls = append(keptCalls, i)
		}
	}
	// Calls whose session this batch does not write need it in the table.
	missing := map[string]bool{}
	for i := range out.Exchanges {
		if id := out.Exchanges[i].Request.SessionID; id != "" && !kept[id] {
			missing[id] = true
		}
	}
	if err := dropStored(ctx, q, missing, selectSessionIDs); err != nil {
		return b, nil, err
	}
	copied := len(deleted) > 0 // the caller's exchanges are not changed in place
	for i := range out.Exchanges {
		if id := out.Exchanges[i].Request.SessionID; id != "" && missing[id] {
			if !copied {
				out.Exchanges, copied = append([]qp.Exchange(nil), b.Exchanges...), true
			}
			out.Exchanges[i].Request.SessionID = ""
		}
	}
	return out, keptCalls, nil
}

// dropStored removes from ids those that name a row, as query (an IN list
// of n ids: selectSessionIDs, selectRequestIDs) finds them.
func dropStored(ctx context.Context, q querier, ids map[string]bool, query func(n int) string) error {
	if len(ids) == 0 {
		return nil
	}
	err := queryIn(ctx, q, keysOf(ids), query, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		delete(ids, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read ids: %w", err)
	}
	return nil
}

// The IN lists of withoutDeleted, n ids each.
var (
	selectDeletedSessions = byRows(func(n int) string {
		return `SELECT id, chat_id, deleted_at FROM deleted_sessions WHERE id IN (` + values(`?`, n) + `)`
	})
	selectSessionIDs = byRows(func(n int) string { return `SELECT id FROM sessions WHERE id IN (` + values(`?`, n) + `)` })
)

// ForgetExpiredKeys clears the lookup key of every expired session.
func (s *Store) ForgetExpiredKeys(ctx context.Context, now time.Time) (int, error) {
	if err := s.checkGuard(); err != nil {
		return 0, err
	}
	res, err := s.write.ExecContext(ctx, `UPDATE sessions SET conversation_hash = NULL, cut_conversation_hash = NULL, cut_state = '',
		prior_conversation_hash = NULL
		WHERE (conversation_hash IS NOT NULL OR cut_conversation_hash IS NOT NULL OR prior_conversation_hash IS NOT NULL)
			AND expires_at <= ?`, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("forget expired session keys: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("forget expired session keys: %w", err)
	}
	return int(n), nil
}

// ExpiredChats returns the ids of up to limit sessions expired at now whose
// Qwen chat is still there and which their clients did not name, longest
// expired first (QWEN_DELETE_CHATS). It reads the sessions table (no index
// is kept for it: one on expires_at would be written with every turn).
func (s *Store) ExpiredChats(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM sessions WHERE expires_at <= ? AND named = 0 AND chat_deleted_at IS NULL
		ORDER BY expires_at LIMIT ?`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("find expired chats: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("find expired chats: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find expired chats: %w", err)
	}
	return ids, nil
}

// MarkChatDeleted records that session id's Qwen chat chatID was deleted at
// at; nothing when the session has moved to another chat meanwhile.
func (s *Store) MarkChatDeleted(ctx context.Context, id, chatID string, at time.Time) error {
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("mark chat %s deleted: %w", chatID, err)
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE sessions SET chat_deleted_at = ? WHERE id = ? AND chat_id = ?`, at.UnixMilli(), id, chatID); err != nil {
		return fmt.Errorf("mark chat %s deleted: %w", chatID, err)
	}
	return nil
}

func mustAffect(res sql.Result, what, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", what, id, qp.ErrNotFound)
	}
	return nil
}
