package qwen

import (
	"log/slog"
	"sync"
	"time"
)

// FailureLog logs upstream failures at warn level, each kind at most once
// per interval (with how many of that kind were not logged since), so that
// a rejected credential shows at the default level without flooding the log
// when every call fails. Memory is bounded by the fixed set of kinds.
type FailureLog struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	last map[string]time.Time
	held map[string]int
}

// NewFailureLog returns a FailureLog that logs each kind once per every.
func NewFailureLog(log *slog.Logger, every time.Duration) *FailureLog {
	return &FailureLog{log: log, every: every, now: time.Now, last: map[string]time.Time{}, held: map[string]int{}}
}

// Note hears of one upstream attempt (nil error: nothing to log).
func (f *FailureLog) Note(endpoint string, err error) {
	f.NoteFor(endpoint, err, Diagnose)
}

// NoteFor is Note with the advice of diagnose: the caller knows whose call
// it was (an account the proxy signs in uses no Cookie header, which
// Diagnose's advice for a pasted cookie tells to copy).
func (f *FailureLog) NoteFor(endpoint string, err error, diagnose func(error) Diagnosis) {
	if err == nil {
		return
	}
	qe, ok := AsError(err)
	if !ok {
		return // the caller gave up: not Qwen's failure
	}
	switch qe.Kind {
	case KindNotFound:
		// A chat or file Qwen no longer knows: every caller recovers
		// (a new chat with the history replayed, the upload again) and
		// says so itself; a warning with advice would mislead.
		return
	case KindTooLong:
		// The client's conversation outgrew the model: the client is
		// answered 400 context_length_exceeded (agents compact on it)
		// and the call's record says so; "try again later" would mislead.
		return
	}
	kind := string(qe.Kind)
	if qe.ClientRefused() {
		kind = DiagnosisOutdatedClient.Name
	}
	now := f.now()
	f.mu.Lock()
	if last, seen := f.last[kind]; seen && now.Sub(last) < f.every {
		f.held[kind]++
		f.mu.Unlock()
		return
	}
	suppressed := f.held[kind]
	f.last[kind], f.held[kind] = now, 0
	f.mu.Unlock()
	f.log.Warn("Qwen call failed", "kind", kind, "endpoint", endpoint, "status", qe.Status, "code", qe.Code,
		"error", qe.Message, "advice", diagnose(qe).Advice, "not_logged_since_last", suppressed)
}
