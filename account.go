package qwenproxy

import (
	"context"
	"strings"
	"time"
)

// DefaultUpstream is Qwen Chat itself, QWEN_BASE_URL's default: the
// upstream an account's state recorded before states named theirs belongs
// to (migration 0028).
const DefaultUpstream = "https://chat.qwen.ai"

// UpstreamKey is the upstream a base URL (QWEN_BASE_URL; the simulator's
// under serve --mock-upstream) names, as an account's state is kept under
// it: a trailing slash aside, and "" for Qwen Chat itself.
func UpstreamKey(baseURL string) string {
	if u := strings.TrimRight(baseURL, "/"); u != "" {
		return u
	}
	return DefaultUpstream
}

// Account sources.
const (
	AccountStored      = "stored"      // added with `qwenproxy accounts add`; its password is in the database
	AccountEnvironment = "environment" // named by QWEN_ACCOUNTS / QWEN_ACCOUNTS_FILE
)

// A server that has an account in its QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE)
// says so on the account's row (SeenAt) when it starts and then every
// EnvironmentSeenInterval, in the background.
const EnvironmentSeenInterval = 30 * time.Second

// EnvironmentAccountLapse is how long an environment account's row may go
// without a server saying it still has the account before it is no
// server's any longer (then `accounts rm` removes it and `accounts add`
// stores it over it). Four refresh intervals: a server that misses one or
// two (a slow or briefly unreachable database, a restart) keeps its
// account, while an operator who took the account out of every server's
// environment waits only minutes.
const EnvironmentAccountLapse = 4 * EnvironmentSeenInterval

// AccountRecord is a Qwen account as the database keeps it: its shared
// state and, sealed (AES-GCM with QWENPROXY_SECRET_KEY), its secrets. The
// sealed fields are opaque text; "" when nothing is stored. The state, the
// token and the sign-in claim are the account's at one upstream (the one
// Accounts was asked for): a rest, a refusal or a token the simulator gave
// says nothing of chat.qwen.ai, and each upstream keeps its own, so that
// serving the database against one leaves the other's as it was.
type AccountRecord struct {
	ID             string // the e-mail, lower-cased
	Source         string // AccountStored or AccountEnvironment
	PasswordSealed string
	CookiesSealed  string    // the Cookie header of the current sign-in
	TokenExpiresAt time.Time // of that sign-in's JWT; zero when none
	AccountState
	SignInUntil time.Time // an instance is signing in until then
	Calls       int64
	Failures    map[string]int64 // by failure class
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// SeenAt is when a server last said it has this environment account
	// (see EnvironmentSeenInterval); zero for a stored account.
	SeenAt time.Time
}

// Unclaimed reports whether r is an environment account that no server has
// said it has for EnvironmentAccountLapse before now.
func (r *AccountRecord) Unclaimed(now time.Time) bool {
	return r.Source == AccountEnvironment && now.Sub(r.SeenAt) > EnvironmentAccountLapse
}

// AccountResetMark is the failure class of a ready state that a person
// stored (`accounts reset`, or `accounts add` again): the account starts
// afresh on every instance that takes it, a password Qwen refused to one of
// them included (see accounts.ResetMark). It is no failure.
const AccountResetMark = "reset"

// AccountState is the part of an account's state every instance shares.
type AccountState struct {
	State            string // ready, cooling_down, rate_limited, auth_failed
	FailureClass     string // the class of the failure that caused the state
	CooldownUntil    time.Time
	FailedCredential string    // fingerprint of the password Qwen refused (auth_failed)
	StateAt          time.Time // when the state changed: the newest wins
	// ForbiddenRun is how many bare HTTP 403s in a row the account had met
	// when the state was set, each after the rest the one before called
	// for (a success ends the run; a run long enough takes it out). Kept
	// with the state, so that a restart, or another instance, goes on
	// counting: counted per process, a server restarted between them never
	// took a banned account out.
	ForbiddenRun int
}

// AccountStore keeps the Qwen accounts and their shared state. An
// account's state, token and sign-in claim are kept per upstream
// (UpstreamKey of a base URL; "" is Qwen Chat's): the methods that read or
// write them take the upstream, and touch no other upstream's.
type AccountStore interface {
	// Accounts lists every account, by id, with its state and token at
	// upstream (ready, and none, where it has none there).
	Accounts(ctx context.Context, upstream string) ([]AccountRecord, error)
	// PutAccount creates an account or, when it exists, replaces its source
	// and password (sealed) and resets its state and token at every
	// upstream: the credentials changed.
	// An account of the environment (QWEN_ACCOUNTS) that a server still has
	// (Unclaimed is false at a.UpdatedAt) is left as it is, with an error
	// (sqlstore.ErrEnvironmentAccount): its password is set there.
	PutAccount(ctx context.Context, a AccountRecord) error
	// EnsureAccount creates an account with no stored password unless it
	// exists, seen at now; an environment account's row is marked seen at now.
	EnsureAccount(ctx context.Context, id, source string, now time.Time) error
	// DeleteAccount removes an account (ErrNotFound if there is none),
	// unless it is an environment account a server still has at now
	// (sqlstore.ErrEnvironmentAccount).
	DeleteAccount(ctx context.Context, id string, now time.Time) error
	// SaveAccountState writes st as the state at upstream unless the state
	// stored there is newer.
	SaveAccountState(ctx context.Context, id, upstream string, st AccountState) error
	// AddAccountCounts adds calls and failures (by class) to the totals.
	AddAccountCounts(ctx context.Context, id string, calls int64, failures map[string]int64) error
	// ClaimSignIn marks id as being signed in at upstream until until,
	// unless another instance holds an unexpired claim there or already
	// stored a token of upstream that expires after minExpiry; it reports
	// whether the claim was taken.
	ClaimSignIn(ctx context.Context, id, upstream string, now, until, minExpiry time.Time) (bool, error)
	// SaveAccountToken stores a sign-in's sealed cookies and expiry at
	// upstream, and ends the claim there.
	SaveAccountToken(ctx context.Context, id, upstream, cookiesSealed string, expires time.Time) error
	// ResealAccounts rewrites every sealed secret through reseal (key rotation).
	ResealAccounts(ctx context.Context, reseal func(id, sealed string) (string, error)) (int, error)
}
