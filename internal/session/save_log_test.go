package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/logtest"
)

// failingLocker is a shared database whose locks are taken and read but
// whose saves fail, as a connection the server closed under the lock.
type failingLocker struct{ saves atomic.Int32 }

func (l *failingLocker) LockSession(context.Context, string) (qp.SessionLock, error) {
	return failingLock{l}, nil
}

type failingLock struct{ l *failingLocker }

func (failingLock) Session(context.Context) (*qp.Session, error) { return nil, qp.ErrNotFound }
func (f failingLock) Save(context.Context, qp.Session) error {
	f.l.saves.Add(1)
	return errors.New("FATAL: terminating connection due to administrator command")
}
func (failingLock) Unlock()  {}
func (failingLock) Discard() {}

// A turn's state that its lock on a shared database could not write goes
// to the recorder, written behind, and the operator is told (once while it
// recurs): it was handed over without a word, and a next turn that read the
// state first hung under the answer before with nothing in the log.
func TestAStateItsLockCouldNotWriteIsLogged(t *testing.T) {
	_, st := newManager(t)
	var behind atomic.Int32
	locker := &failingLocker{}
	mgr := NewManager(st, locker, func(qp.Session) { behind.Add(1) }, 0, func() string { return "s1" })
	var buf logtest.Buffer
	mgr.LogTo(slog.New(slog.NewTextHandler(&buf, nil)))
	var chats atomic.Int32
	for range 2 {
		turn, err := mgr.Begin(context.Background(), Request{ExplicitID: "s1", NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		turn.Advance("p1", "K1", nil, nil)
		turn.Release()
	}
	if locker.saves.Load() != 2 || behind.Load() != 2 {
		t.Fatalf("%d saves under the lock, %d written behind: want 2 and 2", locker.saves.Load(), behind.Load())
	}
	log := buf.String()
	if n := strings.Count(log, "could not be written under its lock"); n != 1 || !strings.Contains(log, "session_id=s1") || !strings.Contains(log, "terminating connection") {
		t.Fatalf("logged %d times, want once with the session and the cause:\n%s", n, log)
	}
}

// movedOnLock is a lock whose save finds the session saved by another turn
// since it was read (qp.ErrSessionMovedOn).
type movedOnLock struct{ failingLock }

func (l movedOnLock) Save(context.Context, qp.Session) error {
	l.l.saves.Add(1)
	return fmt.Errorf("save session s1: %w", qp.ErrSessionMovedOn)
}

type movedOnLocker struct{ failingLocker }

func (l *movedOnLocker) LockSession(context.Context, string) (qp.SessionLock, error) {
	return movedOnLock{failingLock{&l.failingLocker}}, nil
}

// A turn whose save finds the session saved by another turn since it read
// it (its lock lost with its connection meanwhile) leaves the other turn's
// state: it is not written behind either, which would overwrite it, and the
// operator is told, each time (two turns of a conversation at once are rare
// and each one's conversation lost a turn).
func TestASaveAnotherTurnOvertookIsNotWrittenBehind(t *testing.T) {
	_, st := newManager(t)
	var behind atomic.Int32
	locker := &movedOnLocker{}
	mgr := NewManager(st, locker, func(qp.Session) { behind.Add(1) }, 0, func() string { return "s1" })
	var buf logtest.Buffer
	mgr.LogTo(slog.New(slog.NewTextHandler(&buf, nil)))
	var chats atomic.Int32
	turn, err := mgr.Begin(context.Background(), Request{ExplicitID: "s1", NewChat: newChat(&chats)})
	if err != nil {
		t.Fatal(err)
	}
	turn.Advance("p1", "K1", nil, nil)
	turn.Release()
	if locker.saves.Load() != 1 || behind.Load() != 0 {
		t.Fatalf("%d saves under the lock, %d written behind: want 1 and 0", locker.saves.Load(), behind.Load())
	}
	if log := buf.String(); !strings.Contains(log, "two turns of one session ran at once") || !strings.Contains(log, "session_id=s1") {
		t.Fatalf("not logged:\n%s", log)
	}
}
