package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/store/sqlstore"
)

// accountsCmd manages the Qwen accounts the proxy signs in itself. No
// password or token is ever printed.
func accountsCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, action, args, err := newActionCLI("accounts", "ls", args, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	switch action {
	case "add":
		email := c.fs.String("email", "", "the account's e-mail address (its password is read from standard input)")
		if err := c.parse(args); err != nil {
			return err
		}
		if *email == "" {
			return usagef("--email is required")
		}
		return accountsAdd(ctx, c, *email, stdin)
	case "ls":
		c.readOnly, c.createNew = true, true
		if err := c.openOrCreate(ctx, args); err != nil {
			return err
		}
		return accountsList(ctx, c)
	case "rm":
		id, err := c.openWithID(ctx, args, "qwenproxy accounts rm EMAIL")
		if err != nil {
			return err
		}
		id = strings.ToLower(id)
		if id == accounts.CookieID {
			return errors.New("the cookie account is the pasted browser cookie: remove it with `qwenproxy credentials clear` (or unset QWEN_COOKIES where it comes from the environment)")
		}
		if from, err := environmentOwner(ctx, c, id); err != nil {
			return err
		} else if from != "" {
			return fmt.Errorf("%s comes from %s: remove it there; %s after no server has it any longer, `accounts rm` removes its row",
				id, from, lapse())
		}
		// An error: a server started with it meanwhile
		// (sqlstore.ErrEnvironmentAccount).
		if _, err := warnNotErased(c, "accounts rm", c.store.DeleteAccount(ctx, id, time.Now())); err != nil {
			return err
		}
		return c.report(map[string]any{"removed": true, "id": id}, "account %s removed; a running server stops using it within seconds", id)
	case "test":
		// Like the other commands that read accounts' state, it never
		// creates a database: a mistyped --database-path is refused.
		c.maxArgs = 1
		if err := c.open(ctx, args); err != nil {
			return err
		}
		id := ""
		if len(c.args) > 0 {
			id = c.args[0]
		}
		return accountsTest(ctx, c, strings.ToLower(id))
	case "rekey":
		if err := c.parse(args); err != nil {
			return err
		}
		if c.cfg.SecretKey == nil { // refused before the database is opened: a refusal creates none
			return accounts.ErrNoKey
		}
		if err := c.connect(ctx); err != nil {
			return err
		}
		return accountsRekey(ctx, c)
	case "reset":
		id, err := c.openWithID(ctx, args, "qwenproxy accounts reset EMAIL")
		if err != nil {
			return err
		}
		return accountsReset(ctx, c, strings.ToLower(id))
	}
	return usagef("unknown action %q (want add, ls, rm, test, reset or rekey)", action)
}

// accountsReset makes an account ready again, whatever rests it: a cooldown,
// a rate limit, or a refusal of its password, which lasts (in the database,
// across restarts) until the password changes — Qwen may have refused it for
// a reason of its own. A running server takes the new state within seconds
// (the newest state wins) and signs the account in at its next call.
func accountsReset(ctx context.Context, c *cli, id string) error {
	if id == accounts.CookieID {
		// Each server keeps its own pasted cookie's state, in memory.
		return fmt.Errorf("the pasted cookie's state is each server's own, not in the database: a cooldown or rate limit on it ends by itself (GET /health/detailed says when), " +
			"and a restart of the server clears it; once it is out (auth_failed: refused, or a bare HTTP 403 several times in a row), " +
			"only a fresh Cookie header (`qwenproxy credentials set`, or QWEN_COOKIES) or a restart brings it back")
	}
	list, err := c.store.Accounts(ctx, c.cfg.QwenBaseURL)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(list, func(a qp.AccountRecord) bool { return a.ID == id })
	if i < 0 {
		return fmt.Errorf("no account %s", id)
	}
	if why := lockedHere(c, list[i]); why != "" {
		// Nothing is stored: a reset would not make it usable where the
		// key is missing, and where the key is, it is to be run with it.
		return fmt.Errorf("account %s is locked: %s; a reset cannot change that: run `accounts reset` with the QWENPROXY_SECRET_KEY that sealed it (the one it was added with, or given to `accounts rekey` since) "+
			"(a server without that key does not use it), or `accounts rm %s` and add it again", id, why, id)
	}
	// Marked as a reset: the servers that take it start the account afresh
	// (its runs of failures, a password refused to one of them), where an
	// instance's plain ready state ends only the rest. It is the state at
	// this command's QWEN_BASE_URL, as `accounts ls` shows it: another
	// upstream's (a simulator's) is its own.
	upstream := qp.UpstreamKey(c.cfg.QwenBaseURL)
	if err := c.store.SaveAccountState(ctx, id, upstream, qp.AccountState{State: accounts.StateReady, FailureClass: accounts.ResetMark, StateAt: time.Now()}); err != nil {
		return err
	}
	if err := c.report(map[string]any{"id": id, "state": accounts.StateReady, "was": list[i].State, "upstream": upstream},
		"account %s is ready%s (it was %s); a running server uses it again within seconds", id, atUpstream(upstream), list[i].State); err != nil {
		return err
	}
	return restsElsewhere(ctx, c, "accounts reset "+id)
}

// restsElsewhere says, under what accounts ls or reset did at this
// command's QWEN_BASE_URL, at which other upstreams an account is kept out
// now, and how to act there: run without the server's QWEN_BASE_URL (a
// server with --mock-upstream, or one whose unit sets it), they showed
// every account ready while the server had them all resting. Not with
// --json, whose output is the command's own.
func restsElsewhere(ctx context.Context, c *cli, command string) error {
	if *c.asJSON {
		return nil
	}
	others, err := c.store.UpstreamsInForce(ctx, c.cfg.QwenBaseURL, time.Now())
	if err != nil || len(others) == 0 {
		return err
	}
	for _, u := range others {
		fmt.Fprintf(c.stdout, "accounts are resting or refused at %s too, which this shows nothing of: QWEN_BASE_URL=%s qwenproxy %s\n", u, u, command)
	}
	return nil
}

// atUpstream names upstream after an account's state ("" for chat.qwen.ai,
// QWEN_BASE_URL's default): the state shown or changed is the one there.
func atUpstream(upstream string) string {
	if upstream == qp.DefaultUpstream {
		return ""
	}
	return " at " + upstream
}

// accountsAdd stores an account with its password sealed. Without a key it
// refuses: a password is never stored in clear. What can be refused without
// the database is refused before it is opened, so that such a refusal
// creates no database.
func accountsAdd(ctx context.Context, c *cli, email string, stdin io.Reader) error {
	id, err := accounts.NormalizeEmail(email)
	if err != nil {
		return fmt.Errorf("--email: %w", err)
	}
	// A server signs an account of its QWEN_ACCOUNTS in with the password
	// given there: a stored one would never be used. One that no server
	// has any longer is stored over.
	refuse := func(from string) error {
		return fmt.Errorf("not stored: %s comes from %s, which signs it in with the password given there: change its password there "+
			"(or, to store it instead, remove it there: %s after no server has it any longer, `accounts add` stores it)", id, from, lapse())
	}
	if from := commandOwner(c, id); from != "" {
		return refuse(from)
	}
	if c.cfg.SecretKey == nil {
		return fmt.Errorf("not stored: %w", accounts.ErrNoKey)
	}
	in := openSecretInput(ctx, stdin, c.stderr)
	password, _, err := in.line("Qwen password for " + id + ": ")
	more := false
	if err == nil && password != "" {
		more, err = in.moreLines()
	}
	in.close()
	if err != nil {
		return err
	}
	if more {
		return errors.New("more than one line on standard input: give the password alone on one line; nothing was stored")
	}
	if password == "" {
		return errors.New("no password given on standard input")
	}
	sealed, err := c.cfg.SecretKey.Seal(password, id)
	if err != nil {
		return err
	}
	if err := c.connect(ctx); err != nil {
		return err
	}
	if from, err := environmentOwner(ctx, c, id); err != nil {
		return err
	} else if from != "" {
		return refuse(from)
	}
	now := time.Now()
	if err := c.store.PutAccount(ctx, qp.AccountRecord{ID: id, Source: qp.AccountStored, PasswordSealed: sealed, CreatedAt: now, UpdatedAt: now}); err != nil {
		return err // a server started with it in its QWEN_ACCOUNTS meanwhile: sqlstore.ErrEnvironmentAccount
	}
	return c.report(map[string]any{"stored": true, "id": id}, "account %s stored (password sealed); a running server signs it in within seconds", id)
}

// environmentOwner says where account id comes from when it is an
// environment account that something still has ("" when none): this
// command's QWEN_ACCOUNTS or QWEN_ACCOUNTS_FILE, or a server's that said so
// lately (its row's seen_at). A row no server has refreshed for
// qp.EnvironmentAccountLapse is no server's any longer.
func environmentOwner(ctx context.Context, c *cli, id string) (string, error) {
	if from := commandOwner(c, id); from != "" {
		return from, nil
	}
	recs, err := c.store.Accounts(ctx, c.cfg.QwenBaseURL)
	if err != nil {
		return "", err
	}
	for _, r := range recs {
		if r.ID == id && r.Source == qp.AccountEnvironment && !r.Unclaimed(time.Now()) {
			return fmt.Sprintf("QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE) of a server (one said so at %s)", ms(r.SeenAt)), nil
		}
	}
	return "", nil
}

// commandOwner is environmentOwner without the database: this command's own
// QWEN_ACCOUNTS or QWEN_ACCOUNTS_FILE ("" when neither has account id).
func commandOwner(c *cli, id string) string {
	for _, l := range c.cfg.QwenAccounts {
		if l.Email == id {
			return "QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE) as given to this command"
		}
	}
	return ""
}

// lapse says qp.EnvironmentAccountLapse to a person.
func lapse() string { return plural(int(qp.EnvironmentAccountLapse/time.Minute), "minute") }

// lockedHere says why this command cannot open stored account r's
// password ("" when it can, or r has none stored): `accounts ls` shows it
// locked.
func lockedHere(c *cli, r qp.AccountRecord) string {
	if r.Source != qp.AccountStored {
		return ""
	}
	if c.cfg.SecretKey == nil {
		return "no QWENPROXY_SECRET_KEY here to open its password"
	}
	if _, err := c.cfg.SecretKey.Open(r.PasswordSealed, r.ID); err != nil {
		return "QWENPROXY_SECRET_KEY does not open its password (add it again, or give the old key too)"
	}
	return ""
}

// accountRow is one line of `accounts ls`.
type accountRow struct {
	ID             string           `json:"id"`
	Source         string           `json:"source"`
	State          string           `json:"state"`
	FailureClass   string           `json:"failure_class,omitempty"`
	CooldownUntil  *time.Time       `json:"cooldown_until,omitempty"`
	TokenExpiresAt *time.Time       `json:"token_expires_at,omitempty"`
	Calls          int64            `json:"calls"`
	Failures       map[string]int64 `json:"failures"`
	// NoServerSince is set on an environment account that no server has
	// said it has for qp.EnvironmentAccountLapse: when one last did.
	NoServerSince *time.Time `json:"no_server_since,omitempty"`
	Note          string     `json:"note,omitempty"`
}

// accountsList shows every account the database knows and those
// QWEN_ACCOUNTS names that no server has used yet: state, cooldown, token
// expiry, calls and failures by class — never a secret. The state and
// token are the ones at this command's QWEN_BASE_URL (chat.qwen.ai unless
// set), which is what a server serving against it goes by.
func accountsList(ctx context.Context, c *cli) error {
	recs, err := c.store.Accounts(ctx, c.cfg.QwenBaseURL)
	if err != nil {
		return err
	}
	now := time.Now()
	var rows []accountRow
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.ID] = true
		row := accountRow{ID: r.ID, Source: r.Source, State: r.State, FailureClass: r.FailureClass, Calls: r.Calls, Failures: r.Failures}
		if r.State == accounts.StateReady {
			row.FailureClass = "" // `accounts reset`'s mark is no failure
		}
		if row.Failures == nil {
			row.Failures = map[string]int64{}
		}
		if !r.CooldownUntil.IsZero() {
			if r.CooldownUntil.After(now) {
				t := r.CooldownUntil
				row.CooldownUntil = &t
			} else if r.State != accounts.StateAuthFailed {
				row.State, row.FailureClass = accounts.StateReady, ""
			}
		}
		// An account out because Qwen refused its password uses no token
		// until its credentials change or a reset: one still stored (got
		// before a refresh was refused, or before another instance met the
		// refusal) is not shown, as /health/detailed shows none. A ban's
		// 403s signed in, and keep it.
		refused := r.State == accounts.StateAuthFailed && r.FailureClass == string(accounts.ClassAuth)
		if !r.TokenExpiresAt.IsZero() && !refused {
			t := r.TokenExpiresAt
			row.TokenExpiresAt = &t
		}
		// The note is the current state's (row's): a cooldown that has
		// ended leaves a ready account, with no failure to tell.
		switch {
		case row.State == accounts.StateAuthFailed && row.FailureClass == string(accounts.ClassForbidden):
			// Its password was not refused: neither correcting it nor
			// storing it again helps (accounts.ForbiddenAdvice).
			row.Note = "Qwen answered HTTP 403 again after each rest (a ban, or its firewall blocking this address); `accounts reset` once Qwen serves it again"
		case row.State == accounts.StateCoolingDown && row.FailureClass == string(accounts.ClassForbidden):
			row.Note = "Qwen answered HTTP 403 (a ban, or its firewall blocking this address); tried again after the cooldown"
		case row.State == accounts.StateAuthFailed && r.Source == qp.AccountEnvironment:
			row.Note = "Qwen refused the password; correct it in QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE)"
		case row.State == accounts.StateAuthFailed:
			row.Note = "Qwen refused the password; set it again (accounts add)"
		case row.State == accounts.StateCoolingDown && row.FailureClass == string(accounts.ClassFirewall):
			row.Note = "Qwen answered with a firewall or captcha page"
		}
		if r.Unclaimed(now) {
			// No server uses it: its failure's advice no longer applies.
			t := r.SeenAt
			row.NoServerSince = &t
			row.Note = fmt.Sprintf("no server has it in QWEN_ACCOUNTS since %s: `accounts rm` removes it, `accounts add` stores it", ms(t))
		}
		if why := lockedHere(c, r); why != "" {
			row.State, row.Note = accounts.StateLocked, strings.TrimPrefix(row.Note+"; "+why, "; ")
		}
		rows = append(rows, row)
	}
	for _, l := range c.cfg.QwenAccounts {
		if !seen[l.Email] {
			rows = append(rows, accountRow{ID: l.Email, Source: qp.AccountEnvironment, State: accounts.StateReady, Failures: map[string]int64{},
				Note: "in QWEN_ACCOUNTS; not used by a server yet"})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	if *c.asJSON {
		if rows == nil {
			rows = []accountRow{}
		}
		return c.printJSON(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(c.stdout, "no Qwen accounts (add one with `qwenproxy accounts add --email E`, or set QWEN_ACCOUNTS)")
		return nil
	}
	if at := atUpstream(qp.UpstreamKey(c.cfg.QwenBaseURL)); at != "" {
		fmt.Fprintf(c.stdout, "state and tokens%s (QWEN_BASE_URL)\n", at)
	}
	err = c.table("ACCOUNT\tSOURCE\tSTATE\tCOOLDOWN UNTIL\tTOKEN EXPIRES\tCALLS\tFAILURES\tNOTE", func(w io.Writer) {
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Source, r.State, optTime(r.CooldownUntil), optTime(r.TokenExpiresAt),
				r.Calls, failureList(r.Failures), r.Note)
		}
	})
	if err != nil {
		return err
	}
	return restsElsewhere(ctx, c, "accounts ls")
}

func optTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return ms(*t)
}

func failureList(f map[string]int64) string {
	if len(f) == 0 {
		return "-"
	}
	var parts []string
	for class, n := range f {
		parts = append(parts, fmt.Sprintf("%s=%d", class, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// accountsRekey re-seals every stored secret under the first key of
// QWENPROXY_SECRET_KEY (key rotation: set "NEW,OLD", run rekey, then drop OLD).
func accountsRekey(ctx context.Context, c *cli) error {
	if c.cfg.SecretKey == nil {
		return accounts.ErrNoKey
	}
	n, err := c.store.ResealAccounts(ctx, func(id, sealed string) (string, error) { return c.cfg.SecretKey.Reseal(sealed, id) })
	if err != nil {
		return err
	}
	creds, err := accounts.ResealCredentials(ctx, c.store, c.cfg.SecretKey) // and the cookie of `credentials set`
	if errors.Is(err, sqlstore.ErrNotErased) {
		// Re-sealed and stored; only the erasure of the values sealed
		// under the old key is not complete.
		creds = true
	}
	if _, err := warnNotErased(c, "accounts rekey", err); err != nil {
		return err
	}
	what := plural(n, "account")
	if creds {
		what += " and the stored credentials (`credentials set`)"
	}
	return c.report(map[string]any{"resealed": n, "credentials_resealed": creds},
		"%s re-sealed under the first key of QWENPROXY_SECRET_KEY; the other keys can now be dropped", what)
}
