package session

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
	"weak"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
)

// key is Key of a Chat Completions conversation, as the chat front-end
// translates it.
func key(msgs []openai.Message, answer *openai.Message) string {
	if answer == nil {
		return Key(openai.Conversation(msgs), nil)
	}
	return Key(openai.Conversation(msgs), &openai.Conversation([]openai.Message{*answer})[0])
}

func m(role, content string) openai.Message {
	b, _ := json.Marshal(content)
	return openai.Message{Role: role, Content: b}
}

func TestKeyNormalisesWhatClientsChange(t *testing.T) {
	base := key([]openai.Message{m("user", "Hello"), m("assistant", "Hi there")}, nil)
	parts := openai.Message{Role: "user", Content: json.RawMessage(`[{"type":"text","text":"Hello"}]`)}
	same := [][]openai.Message{
		{m("user", "  Hello\n"), m("assistant", "Hi there ")},
		{parts, m("assistant", "Hi there")},
	}
	for _, msgs := range same {
		if key(msgs, nil) != base {
			t.Errorf("%v: key differs", msgs)
		}
	}
	if key([]openai.Message{m("user", "Hello")}, &openai.Message{Role: "assistant", Content: json.RawMessage(`"Hi there"`)}) != base {
		t.Error("a conversation plus its answer must hash like the resent history")
	}
	different := [][]openai.Message{
		{m("user", "Hello"), m("assistant", "Hi")},
		{m("system", "Hello"), m("assistant", "Hi there")},
		{m("user", "Hello"), m("assistant", "Hi there"), m("user", "")},
		{m("user", "Hel"), m("assistant", "loHi there")},
	}
	for _, msgs := range different {
		if key(msgs, nil) == base {
			t.Errorf("%v: key collides", msgs)
		}
	}
}

func newManager(t *testing.T) (*Manager, *sqlstore.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var n atomic.Int32
	// Write each session's state at once, as the recorder does behind.
	save := func(s qp.Session) {
		if err := st.WriteBatch(context.Background(), qp.Batch{Sessions: []qp.Session{s}}); err != nil {
			t.Error(err)
		}
	}
	return NewManager(st, nil, save, time.Minute, func() string { return fmt.Sprintf("s%d", n.Add(1)) }), st
}

func newChat(n *atomic.Int32) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return fmt.Sprintf("chat%d", n.Add(1)), nil }
}

func TestManagerContinuesByKeyAndForksOnReuse(t *testing.T) {
	mgr, _ := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	first, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats), FirstUser: "hi"})
	if err != nil || !first.FirstTurn() {
		t.Fatalf("%v %+v", err, first)
	}
	first.Advance("p1", "K1", nil, nil)
	first.Release()

	next, err := mgr.Begin(ctx, Request{PrefixKey: "K1", HasHistory: true, NewChat: newChat(&chats)})
	if err != nil || next.Session.ID != first.Session.ID || next.Replay || next.FirstTurn() || next.Session.ParentID != "p1" {
		t.Fatalf("continuation %+v %v", next, err)
	}
	// While this turn holds the session, the same history arrives again (a
	// regenerate, or another conversation with identical text). It must not
	// wait for, nor thread into, the session once that advances.
	done := make(chan *Turn, 1)
	go func() {
		other, err := mgr.Begin(ctx, Request{PrefixKey: "K1", HasHistory: true, NewChat: newChat(&chats)})
		if err != nil {
			t.Error(err)
		}
		done <- other
	}()
	// Advanced before that Begin came, the history would ask in place of
	// the answered turn (reask.go), another case: the race made this test
	// fail now and then.
	waitBeside(mgr, next.Session.ID, done)
	next.Advance("p2", "K2", nil, nil)
	next.Release()
	other := <-done
	defer other.Release()
	if other.Session.ID == first.Session.ID || !other.Replay || chats.Load() != 2 {
		t.Fatalf("forked turn got session %s replay %v with %d chats", other.Session.ID, other.Replay, chats.Load())
	}
}

// waitBeside returns once a second turn waits for session id's lock beside
// the one holding it, or the turn begun in done's goroutine has ended (it
// did not wait: the test then says what it got).
func waitBeside(m *Manager, id string, done chan *Turn) {
	for {
		m.locks.mu.Lock()
		refs := 0
		if e := m.locks.locks[id]; e != nil {
			refs = e.refs
		}
		m.locks.mu.Unlock()
		if refs >= 2 || len(done) > 0 {
			return
		}
		runtime.Gosched()
	}
}

// Two conversations identical so far whose answers made the same tool call
// (by name and arguments, under ids of their own) expect one key: each tool
// result continues the session whose answer made its call, the less
// recently used one included, from memory or (after a restart) from the
// database. A result naming no session's call, or none, finds the most
// recently used.
func TestManagerToolResultsFindTheirCallsSession(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	var ids []string
	for i, call := range []string{"call_a", "call_b"} {
		at := time.Now().Add(time.Duration(i) * time.Second) // b's answer is the later
		mgr.now = func() time.Time { return at }
		turn, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		turn.Advance("p", "K", []string{call, call + "2"}, []string{"a", "b"})
		turn.Release()
		ids = append(ids, turn.Session.ID)
	}
	fresh := NewManager(st, nil, func(qp.Session) {}, time.Minute, func() string { return "new" })
	for name, m := range map[string]*Manager{"memory": mgr, "database": fresh} {
		for call, want := range map[string]string{"call_a": ids[0], "call_a2": ids[0], "call_b": ids[1], "call_c": ids[1], "": ids[1]} {
			turn, err := m.Begin(ctx, Request{PrefixKey: "K", HasHistory: true, AnsweredCall: call, NewChat: newChat(&chats)})
			if err != nil {
				t.Fatal(err)
			}
			turn.Release()
			if turn.Session.ID != want {
				t.Errorf("%s: the result of %q continued session %s, want %s", name, call, turn.Session.ID, want)
			}
		}
	}
}

func TestManagerExpiredSessionsAreNotFoundByKey(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	turn, _ := mgr.Begin(ctx, Request{NewChat: newChat(&chats)})
	turn.Advance("p", "K", nil, nil)
	turn.Release()
	mgr.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	again, err := mgr.Begin(ctx, Request{PrefixKey: "K", HasHistory: true, NewChat: newChat(&chats)})
	if err != nil || again.Session.ID == turn.Session.ID || !again.Replay {
		t.Fatalf("expired session continued: %+v %v", again, err)
	}
	again.Release()
	mgr.evictExpired()
	n, err := st.ForgetExpiredKeys(ctx, mgr.now())
	if err != nil || n != 1 {
		t.Fatalf("forgot %d keys, %v", n, err)
	}
	if _, err := st.Session(ctx, turn.Session.ID); err != nil {
		t.Fatalf("expiry deleted the session: %v", err)
	}
}

func TestSessionsSurviveAFreshManager(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	turn, _ := mgr.Begin(ctx, Request{NewChat: newChat(&chats), FirstUser: "hi"})
	turn.Advance("p1", "K1", nil, nil)
	turn.Release()
	// A restarted process has an empty memory and reads the database.
	fresh := NewManager(st, nil, func(qp.Session) {}, time.Minute, func() string { return "new" })
	next, err := fresh.Begin(ctx, Request{PrefixKey: "K1", HasHistory: true, NewChat: newChat(&chats)})
	if err != nil || next.Session.ID != turn.Session.ID || next.Session.ParentID != "p1" || next.Session.MessageCount != 1 || chats.Load() != 1 {
		t.Fatalf("after restart: %+v %v", next, err)
	}
	next.Release()
}

func TestExplicitSessionsSerialise(t *testing.T) {
	mgr, _ := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	a, err := mgr.Begin(ctx, Request{ExplicitID: "named", NewChat: newChat(&chats)})
	if err != nil || a.Session.ID != "named" {
		t.Fatalf("%v %+v", err, a)
	}
	got := make(chan *Turn)
	go func() {
		b, err := mgr.Begin(ctx, Request{ExplicitID: "named", NewChat: newChat(&chats)})
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	a.Advance("p1", "K", nil, nil)
	a.Release()
	b := <-got
	defer b.Release()
	if b.Session.ParentID != "p1" || chats.Load() != 1 {
		t.Fatalf("second turn saw parent %q with %d chats", b.Session.ParentID, chats.Load())
	}
	if _, err := mgr.Begin(ctx, Request{ExplicitID: "bad id"}); err != ErrInvalidID {
		t.Fatalf("err %v", err)
	}
	waitCtx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := mgr.Begin(waitCtx, Request{ExplicitID: "named"}); err == nil {
		t.Fatal("a canceled caller got a held session")
	}
}

// Issue 13, item 12: memory holds a bounded number of sessions; an evicted
// one is read back from the database when its conversation returns, with
// its latest state. A session whose state the database does not have yet
// is never evicted.
func TestSessionCacheIsBoundedAndReadsEvictedSessionsBack(t *testing.T) {
	mgr, _ := newManager(t)
	flushed := true
	mgr.Bound(10, func(context.Context) bool { return flushed })
	ctx := context.Background()
	var chats atomic.Int32
	var ids []string
	for i := range 30 {
		turn, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		turn.Advance(fmt.Sprint("p", i), fmt.Sprint("K", i), nil, nil)
		turn.Release()
		ids = append(ids, turn.Session.ID)
	}
	flushed = false // the database refuses writes: nothing may go
	mgr.evictOverflow(ctx, quietLog)
	if n := mgr.Cached(); n != 30 {
		t.Fatalf("%d sessions in memory after an eviction the database could not take", n)
	}
	flushed = true
	mgr.evictOverflow(ctx, quietLog)
	if n := mgr.Cached(); n > 10 {
		t.Fatalf("%d sessions in memory, bound 10", n)
	}
	// The oldest conversations return: by key and by id, from the database.
	next, err := mgr.Begin(ctx, Request{PrefixKey: "K0", HasHistory: true, NewChat: newChat(&chats)})
	if err != nil || next.Session.ID != ids[0] || next.Session.ParentID != "p0" || next.Replay {
		t.Fatalf("evicted session by key: %+v %v", next.Session, err)
	}
	next.Release()
	named, err := mgr.Begin(ctx, Request{ExplicitID: ids[1], NewChat: newChat(&chats)})
	if err != nil || named.Session.ParentID != "p1" || chats.Load() != 30 {
		t.Fatalf("evicted session by id: %+v %v, %d chats", named.Session, err, chats.Load())
	}
	named.Release()
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// An eviction leaves memory's index by key exactly the sessions memory
// still holds: sessions sharing a key (identical conversations) and
// sessions of keys of their own alike, the survivors found by their key.
// The conversations have gone on (answered twice), so that the bound, not
// the one-turn share, decides which stay.
func TestEvictionKeepsTheIndexByKeyExact(t *testing.T) {
	mgr, _ := newManager(t)
	mgr.Bound(10, func(context.Context) bool { return true })
	ctx := context.Background()
	var chats atomic.Int32
	for i := range 30 {
		turn, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		key := "shared"
		if i%3 == 0 {
			key = fmt.Sprint("own", i)
		}
		turn.Advance(fmt.Sprint("first", i), fmt.Sprint("first", i), nil, nil)
		turn.Release()
		next, err := mgr.Begin(ctx, Request{PrefixKey: fmt.Sprint("first", i), HasHistory: true, NewChat: newChat(&chats)})
		if err != nil || next.Session.ID != turn.Session.ID {
			t.Fatalf("conversation %d did not go on: %v", i, err)
		}
		next.Advance(fmt.Sprint("p", i), key, nil, nil)
		next.Release()
	}
	mgr.evictOverflow(ctx, quietLog)
	mgr.mu.Lock()
	indexed := 0
	for key, ids := range mgr.byKey {
		for _, id := range ids {
			if s, ok := mgr.cache[id]; !ok || s.ConversationKey != key {
				t.Errorf("key %s indexes session %s, which memory no longer holds under it", key, id)
			}
			indexed++
		}
	}
	cached := len(mgr.cache)
	mgr.mu.Unlock()
	if cached > 10 || indexed != cached {
		t.Fatalf("%d sessions in memory (bound 10), %d indexed by key", cached, indexed)
	}
	// The most recent conversation of the shared key goes on in memory.
	next, err := mgr.Begin(ctx, Request{PrefixKey: "shared", HasHistory: true, NewChat: newChat(&chats)})
	if err != nil || next.Session.ParentID != "p29" && next.Session.ParentID != "p28" {
		t.Fatalf("the shared key's latest session: %+v %v", next.Session, err)
	}
	next.Release()
}

// A session in memory costs the same whatever its client's first message:
// the cache forgets the message once it is written, and the states written
// after, which carry none, keep the one the database has.
func TestACachedSessionHoldsNotItsFirstMessage(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	firstMessage := func() string { return strings.Repeat("the whole first message ", 10_000) }
	id, held := func() (string, weak.Pointer[byte]) {
		first := firstMessage()
		turn, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats), FirstUser: first})
		if err != nil {
			t.Fatal(err)
		}
		turn.Advance("p1", "K1", nil, nil)
		turn.Release()
		return turn.Session.ID, weak.Make(unsafe.StringData(first))
	}()
	next, err := mgr.Begin(ctx, Request{PrefixKey: "K1", HasHistory: true, NewChat: newChat(&chats)})
	if err != nil || next.Session.ID != id {
		t.Fatalf("continuation %+v %v", next.Session, err)
	}
	next.Advance("p2", "K2", nil, nil)
	next.Release()
	runtime.GC()
	if held.Value() != nil {
		t.Error("the session cache still holds the first user message after it was written")
	}
	// The manager is in use after the collection (else its cache would be
	// collected with it), and continues the session from memory.
	if again, err := mgr.Begin(ctx, Request{PrefixKey: "K2", HasHistory: true, NewChat: newChat(&chats)}); err != nil || again.Session.ID != id {
		t.Fatalf("third turn %+v %v", again, err)
	} else {
		again.Release()
	}
	stored, err := st.Session(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// The store keeps it as it keeps every name, cut to qp.FirstUserMessageMax.
	if stored.FirstUserMessage != qp.SessionName(firstMessage()) || stored.MessageCount != 2 || stored.ParentID != "p2" {
		t.Fatalf("stored session after its second turn: %d bytes of first message, %d messages, parent %q",
			len(stored.FirstUserMessage), stored.MessageCount, stored.ParentID)
	}
}

// A session an earlier version stored, under the key that held the system
// prompt (legacyKey), is continued by its conversation's next call, from
// memory and after a restart, rather than replayed into a new chat once
// after the upgrade.
func TestASessionStoredUnderTheKeyOfEarlierVersionsIsContinued(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	history := []qp.Message{{Role: "system", Text: "You are terse."}, {Role: "user", Text: "hi"}, {Role: "assistant", Text: "hello"}}
	turn, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats), FirstUser: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	turn.Advance("p1", legacyKey(history), nil, nil)
	turn.Release()
	for name, m := range map[string]*Manager{"in memory": mgr, "after a restart": NewManager(st, nil, func(qp.Session) {}, time.Minute, func() string { return "new" })} {
		next, err := m.Begin(ctx, Request{PrefixKey: Key(history, nil), History: history, HasHistory: true, NewChat: newChat(&chats)})
		if err != nil || next.Session.ID != turn.Session.ID || next.Replay || next.Session.ParentID != "p1" || chats.Load() != 1 {
			t.Fatalf("%s: %+v %v (%d chats)", name, next, err, chats.Load())
		}
		next.Release()
	}
}

// A turn that goes on from an answer its session's chat has moved past
// (Request.Continues, a previous_response_id's) branches off: a new session
// on a chat Branch opens, the session left as it was. From the latest
// answer, or from a session that does not say which answer was last (a
// state from before it was kept), it continues the session. Read back from
// the database too.
func TestExplicitSessionBranchesFromAnEarlierAnswer(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats, branches atomic.Int32
	branch := func(context.Context) (string, error) {
		branches.Add(1)
		return fmt.Sprintf("branch%d", branches.Load()), nil
	}
	refuse := func(context.Context) (string, error) { return "", fmt.Errorf("no new chat for a continuation") }
	first, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats), FirstUser: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	id := first.Session.ID
	first.Advance("p1", "K1", nil, nil) // answered before answers were named: no LastRequestID
	first.Release()
	old, err := mgr.Begin(ctx, Request{ExplicitID: id, Continues: "r0", NewChat: refuse, Branch: branch})
	if err != nil || old.Session.ID != id || old.BranchedFrom != "" {
		t.Fatalf("a state that does not say its last answer: %+v %v", old, err)
	}
	old.Session.LastRequestID = "r1"
	old.Advance("p2", "K2", nil, nil)
	old.Release()

	for _, fresh := range []bool{false, true} {
		m := mgr
		if fresh { // the state read back from the database
			m = NewManager(st, nil, func(qp.Session) {}, time.Minute, func() string { return "fresh" })
		}
		latest, err := m.Begin(ctx, Request{ExplicitID: id, Continues: "R1", NewChat: refuse, Branch: branch})
		if err != nil || latest.Session.ID != id || latest.BranchedFrom != "" || latest.Session.ParentID != "p2" {
			t.Fatalf("fresh %v: from the latest answer: %+v %v", fresh, latest, err)
		}
		latest.Release()
		b, err := m.Begin(ctx, Request{ExplicitID: id, Continues: "r0", NewChat: refuse, Branch: branch})
		if err != nil || b.Session.ID == id || b.BranchedFrom != id || !b.FirstTurn() || b.Session.ChatID != fmt.Sprintf("branch%d", branches.Load()) {
			t.Fatalf("fresh %v: from an earlier answer: %+v %v", fresh, b, err)
		}
		b.Release()
		s, err := st.Session(ctx, id)
		if err != nil || s.ParentID != "p2" || s.ChatID != "chat1" || s.LastRequestID != "r1" {
			t.Fatalf("fresh %v: the session branched from: %+v %v", fresh, s, err)
		}
	}
	if chats.Load() != 1 || branches.Load() != 2 {
		t.Fatalf("%d chats, %d branches", chats.Load(), branches.Load())
	}
}
