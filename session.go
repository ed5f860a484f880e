package qwenproxy

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"
)

// ErrNotFound is returned by stores when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrStoreUnavailable marks an error of the database a call needed (a
// session's lock or state on a database that does not answer, or refuses:
// the error it wraps says which), as opposed to a missing row or the
// proxy's own fault.
var ErrStoreUnavailable = errors.New("the database failed the call")

// ErrDatabaseBusy marks a batch a database did not take because another
// held a lock it needed past the bound it waits (DATABASE_BUSY_TIMEOUT:
// SQLite's busy_timeout, PostgreSQL's lock_timeout): it was already waited
// for, so trying again at once would only wait as long again.
var ErrDatabaseBusy = errors.New("the database stayed locked past DATABASE_BUSY_TIMEOUT")

// ErrNewerSchema marks a database migrated by a newer qwenproxy than this
// one: a batch refused for it waits in the spool until the newer version
// takes this one's place, so trying it again at once is no use either.
var ErrNewerSchema = errors.New("the database was migrated by a newer qwenproxy")

// ErrRecordRefused marks a batch a database refused for what a record in it
// holds — a constraint, a value it cannot store — as opposed to the database
// being unavailable: written again, it fails again.
var ErrRecordRefused = errors.New("the database refuses a record")

// FirstUserMessageMax bounds a session's name (Session.FirstUserMessage), in
// bytes: a name, not a copy — a session row outlives its calls, and a 3 MB
// first message made retention by size delete a newer call in its place.
const FirstUserMessageMax = 4096

// SessionName is text cut to FirstUserMessageMax bytes, not inside a
// character. The turn names its session so, and the store cuts whatever it
// writes so too: a state an earlier build spooled, or a session copied from
// its history, may hold a whole message.
func SessionName(text string) string {
	n := FirstUserMessageMax
	if len(text) <= n {
		return text
	}
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return text[:n]
}

// Session maps one client conversation onto one Qwen chat.
//
// Qwen keeps the history server-side, so the proxy only needs the chat id and
// the node the next turn hangs under (ParentID). ConversationKey is the hash of
// the history the *next* request of this conversation will resend; it is how a
// client that only sends messages finds its chat again.
type Session struct {
	ID       string
	ChatID   string
	ParentID string // "" until the first answer arrives
	Model    string
	// FirstUserMessage names the session: the first user message with words
	// of the user's, whole but for surrounding whitespace.
	// A state written with none keeps the one written before (see
	// Replacing): the session cache holds it only until it is queued.
	FirstUserMessage string
	MessageCount     int
	ConversationKey  string
	// CutKey is a second key the session is found by, "" for none: that of
	// the history a client resends when it keeps, as the latest answer,
	// the part of a cut answer it got run together with the answer its
	// retry was given (Qwen Code does). CutState is what the failed turns
	// since the latest answer left for it: the part of the answer that
	// reached the client, as a digest's state (bounded, whatever its
	// length), and the conversation those turns sent ("" for none).
	CutKey   string
	CutState string
	// ToldSystemHash and ToldToolsHash identify the system prompt and the
	// tool set the Qwen chat was last told ("" for none), so that a turn
	// whose own differ states them again.
	ToldSystemHash string
	ToldToolsHash  string
	CreatedAt      time.Time
	LastAccessed   time.Time
	ExpiresAt      time.Time
	// APIKeyID is the proxy API key that opened the session ("" without
	// keys): only that key continues the conversation.
	APIKeyID string
	// Account is the Qwen account the chat belongs to (another account's
	// token gets "not found" for it); "" for sessions from before accounts.
	Account string
	// LastCallIDs are the ids of the tool calls of the last answer (nil
	// when it made none). Conversations identical so far — parallel runs
	// of one prompt — expect one key; a request answering tool calls
	// continues the session whose answer made them, not another's.
	LastCallIDs []string
	// LastCallNames are the names of those calls' tools, in their order: a
	// result sent alone, without its call, is told to Qwen by its tool's
	// name (the other instances sharing the database may not have the
	// call's record yet).
	LastCallNames []string
	// LastRequestID is the request id of the call whose answer the chat
	// gave last ("" before the first, or for a state from before it was
	// kept): a previous_response_id naming an earlier response of the
	// session branches off into a session of its own rather than go on
	// after answers its client never saw.
	LastRequestID string
	// Prior is where the chat's latest answered turn was asked from (zero
	// before the first, for a state from before it was kept, or when that
	// turn went to a new chat): a previous_response_id naming the answer
	// just before the latest is asked again there, in the same chat, as
	// Qwen's web client regenerates, rather than branch off.
	Prior SessionPrior
	// BranchedFrom is the id of the session this one branched off from (a
	// previous_response_id naming an earlier answer of that session's
	// chat), "" for none: an X-Session-Id naming that session (or one it
	// branched off from in turn) still names the conversation this one
	// goes on with.
	BranchedFrom string
	// ClientSessionID is the client's own id of its conversation that the
	// call which opened the session carried (Request.ClientSessionID, "" for
	// none, and for a session opened before it was kept): a call carrying
	// another id does not continue the session by its history — a coding
	// agent's fork of a conversation (Claude Code's --fork-session) resends
	// the history of the one it forks under an id of its own.
	ClientSessionID string
	// Named is set once the session's client named it (X-Session-Id): such
	// a client may send only its new message, long after the session
	// expired, so the chat holding the conversation is never deleted.
	Named bool
	// ChatDeletedAt is when the proxy deleted ChatID from its account
	// (QWEN_DELETE_CHATS, after the session expired); zero while it is
	// there. A turn continuing the session opens a new chat and tells it
	// the conversation.
	ChatDeletedAt time.Time
}

// SessionPrior is a session's state before its latest answered turn, in
// the same chat: what a turn asked again in that turn's place (a retry, or
// a regenerate, of a Responses call: its previous_response_id names the
// answer RequestID) hangs under and is told from.
type SessionPrior struct {
	// ParentID is the node the latest turn hung under ("" for none: that
	// turn was its chat's first, and is not asked again).
	ParentID string
	// RequestID is the request id of the call whose answer ParentID is
	// ("" when unknown).
	RequestID string
	// CallIDs and CallNames are that answer's tool calls and their tools,
	// as Session.LastCallIDs and LastCallNames were.
	CallIDs, CallNames []string
	// ToldSystemHash and ToldToolsHash are what the chat had been told on
	// that node's thread.
	ToldSystemHash, ToldToolsHash string
	// ConversationKey is the key of the history the latest turn came with
	// ("" when it came by none of its chat's): a request whose history is
	// that one, answering one of CallIDs (or none, when there are none),
	// asks that turn again (internal/session, reask.go). With ParentID "",
	// that turn went on in a new chat told the conversation, or its chat
	// was refused as too long since (Turn.Outgrown): such a request goes
	// on in a new chat too, and CallIDs are the calls that turn's history
	// answered.
	ConversationKey string
}

// Replacing is s as the state that supersedes earlier, a state of the same
// session not yet written: s, with earlier's FirstUserMessage when s has
// none. A session's later states carry no first user message (memory
// forgets it once it is queued for writing, so that a cached session costs
// the same whatever its client's first message was), and must not erase it.
func (s Session) Replacing(earlier Session) Session {
	if s.FirstUserMessage == "" {
		s.FirstUserMessage = earlier.FirstUserMessage
	}
	return s
}

// Expired reports whether the session's mapping has lapsed at now. An expired
// session keeps its history; it is only no longer found by ConversationKey.
func (s *Session) Expired(now time.Time) bool { return !now.Before(s.ExpiresAt) }

// SessionStore reads the conversation mapping. Sessions are written behind,
// in order with the calls that use them, by the recorder (see Batch).
type SessionStore interface {
	// Session returns the session with the given id, expired or not.
	Session(ctx context.Context, id string) (*Session, error)
	// SessionByKey returns the most recently used unexpired session whose
	// ConversationKey equals key — of those whose LastCallIDs hold callID
	// first, when callID is not "" — of those whose ClientSessionID is
	// client or "", when client is not "".
	SessionByKey(ctx context.Context, key, callID, client string, now time.Time) (*Session, error)
	// SessionByPriorKey returns the most recently used unexpired session,
	// used before before, whose Prior.ConversationKey equals key and whose
	// Prior.CallIDs hold callID (are none, when callID is "") — of those
	// whose ClientSessionID is client or "", when client is not "".
	SessionByPriorKey(ctx context.Context, key, callID, client string, before, now time.Time) (*Session, error)
	// ForgetExpiredKeys drops the lookup keys of sessions expired at now, so the
	// key index stays small. History is never deleted by expiry.
	ForgetExpiredKeys(ctx context.Context, now time.Time) (int, error)
	// Deleted reports whether session id on Qwen chat chatID was deleted;
	// such a session is never continued or written back.
	Deleted(ctx context.Context, id, chatID string) (bool, error)
	// ExpiredChats returns the ids of up to limit sessions expired at now,
	// not Named, whose chat is not deleted, longest expired first.
	ExpiredChats(ctx context.Context, now time.Time, limit int) ([]string, error)
	// MarkChatDeleted records that session id's chat chatID was deleted
	// at at (nothing when the session has moved to another chat).
	MarkChatDeleted(ctx context.Context, id, chatID string, at time.Time) error
}

// ErrSessionMovedOn is a SessionLock's Save that found the session saved
// by another turn since it was read under the lock: the lock went with its
// connection while the turn ran, and the other turn, on another instance,
// took it in the meantime. The two turns ran at once; the state saved first
// stays, so that the other turn is not dropped from the conversation in
// silence (until 2026-12-07 the later save overwrote it).
var ErrSessionMovedOn = errors.New("the session was saved by another turn since this one read it: its lock was lost with its connection meanwhile")

// SessionLocker is implemented by stores that several proxy processes share.
// Turns of one session are serialised across all of them by its lock, and
// the session's state is read and written under it, so that the next turn,
// wherever it runs, continues from the last answer.
type SessionLocker interface {
	LockSession(ctx context.Context, id string) (SessionLock, error)
}

// SessionLock is a held session lock.
type SessionLock interface {
	// Session reads the session's current state (ErrNotFound if it has none yet).
	Session(ctx context.Context) (*Session, error)
	// Save writes the session's state before the lock is released. When
	// the lock went with its connection during the turn (a failover,
	// pg_terminate_backend) and another turn took it, read and saved the
	// session before this one could take it again, Save writes nothing and
	// is ErrSessionMovedOn.
	Save(ctx context.Context, s Session) error
	// Unlock lets go of the lock, asking the database (within a bound).
	Unlock()
	// Discard lets go of the lock without asking the database, which has
	// just failed the call (did not answer, or refused): the lock's
	// connection is closed rather than pooled, and the server drops the
	// lock with it.
	Discard()
}
