package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/app"
	"qwenproxy/internal/recorder"
	"qwenproxy/internal/redact"
	"qwenproxy/internal/store/sqlstore"
)

func historyCmd(ctx context.Context, args []string, e env) error {
	c, action, args, err := newActionCLI("history", "redact", args, e.getenv, e.stdout, e.stderr)
	if err != nil {
		return err
	}
	defer c.close()
	switch action {
	case "redact":
		return historyRedact(ctx, c, args, e.stdin)
	}
	return usagef("unknown action %q (want redact)", action)
}

// historyRedact masks, in everything the history keeps, the secrets of
// every configured account — as records have masked them since 2026-12-05
// — and the values given on standard input, one a line (never as an
// argument, which shell history and the process list would keep): a
// history recorded before, or a secret an account held before the servers
// started (a password changed, an account removed). Everything is read
// before the database is touched: a bad line changes nothing. It never
// prints a secret.
func historyRedact(ctx context.Context, c *cli, args []string, stdin io.Reader) error {
	if err := c.parse(args); err != nil {
		return err
	}
	extra, err := readSecrets(ctx, stdin, c.stderr)
	if err != nil {
		return err
	}
	if err := c.openParsed(ctx); err != nil {
		return err
	}
	pool := c.accountPool()
	// The accounts as a server has them, without the server's sync, which
	// would mark this command's QWEN_ACCOUNTS as a server's.
	if err := pool.Load(ctx); err != nil {
		return fmt.Errorf("read the stored accounts: %w", err)
	}
	if err := warnUnmasked(ctx, c, pool); err != nil {
		return err
	}
	known, given := pool.Known(), redact.NewKnown("", extra...)
	if known == nil && given == nil {
		return errors.New("nothing to mask: no account here (QWEN_ACCOUNTS, QWEN_COOKIES, stored accounts or credentials) and no value on standard input; nothing was changed")
	}
	// Each as a record masks them: the accounts' secrets, then the values
	// given (a nil masker masks nothing).
	r := sqlstore.Redaction{
		JSON: func(b []byte) []byte { return given.JSON(known.JSON(b)) },
		Text: func(b []byte) []byte { return given.Bytes(known.Bytes(b)) },
	}
	// A first message cut to a session's name may end within a secret,
	// which Text no longer finds whole there.
	r.Name = func(b []byte) []byte {
		cut := len(b) > qp.FirstUserMessageMax-utf8.UTFMax // SessionName cuts at a rune's start
		if b = r.Text(b); !cut {
			return b
		}
		return given.CutTail(known.CutTail(b))
	}
	bar := newProgress(c.stderr, "read")
	p, err := c.store.RedactHistory(ctx, r, 100, func(p sqlstore.RedactProgress) { bar.set(p.Calls) })
	bar.done(p.Calls)
	if err != nil {
		// Each batch committed stays masked: the same command again
		// finishes.
		return fmt.Errorf("rewrote %s, then stopped (run it again to finish): %w", plural(p.Rewritten, "call"), err)
	}
	// The parts no call uses any more that are past the backend's grace
	// (on SQLite, every one: its grace is 0).
	if _, err := c.store.DeleteUnusedParts(ctx, time.Now().Add(-c.store.PartGrace())); err != nil {
		return err
	}
	// Rewritten under secure_delete, what this run replaced is erased, but
	// not the old versions of the same rows that earlier writes (a server's
	// rewrites of a session and its calls) freed without it: the file is
	// rebuilt, and its WAL emptied, whatever this run rewrote — a run
	// before may have left them.
	if bar.on && c.store.Backend() == "sqlite" { // a large file takes minutes
		fmt.Fprintln(c.stderr, "rebuilding the database file, to erase what was freed in it …")
	}
	erased, err := c.store.EraseFreedSpace(ctx)
	eraseProblem := ""
	if errors.Is(err, sqlstore.ErrNotErased) {
		eraseProblem = err.Error()
		fmt.Fprintf(c.stderr, "qwenproxy history redact: warning: the history is masked, but %v: copies of the values masked may still be readable in the database file or its -wal; "+
			"run this command again once the servers on this database are idle (not writing or reading) or stopped\n", err)
	} else if err != nil {
		return err
	}
	if !erased && eraseProblem == "" { // a backend that does not rebuild: its own reclaiming
		if err := c.store.ReclaimSpace(ctx); err != nil {
			return err
		}
	}
	// The calls not in the database yet: those in this machine's spool,
	// and those a running server holds, which no other process reaches.
	spoolPath := c.spoolPath()
	spooled, err := app.RedactSpool(spoolPath, recorder.SpoolMask{JSON: r.JSON, Text: r.Text, Name: r.Name})
	held := errors.Is(err, app.ErrSpoolHeld)
	if err != nil && !held {
		return fmt.Errorf("rewrote the database's %s; then the spool %s: %w", plural(p.Rewritten, "call"), spoolPath, err)
	}
	if held {
		fmt.Fprintf(c.stderr, "qwenproxy history redact: warning: %v: the calls that server has not written to the database yet (queued in its memory, or in its spool %s) are not masked; run this command again once it has written them (its qwenproxy_recorder_spool_bytes is 0 and it is idle) or once it has stopped\n", err, spoolPath)
	}
	fields := map[string]any{"calls": p.Calls, "rewritten": p.Rewritten, "left": p.Left, "sessions": p.Sessions, "items": p.Items,
		"failures": p.Failures, "values_given": len(extra), "spool_records": spooled.Records, "spool_rewritten": spooled.Rewritten,
		"spool_held": held, "erased": erased}
	if eraseProblem != "" {
		fields["erase_problem"] = eraseProblem
	}
	sentence := fmt.Sprintf("read %s and rewrote %d whose bodies held a secret; rewrote the first message of %s, %d conversation items or metadata and %d failures' messages or failed attempts",
		plural(p.Calls, "call"), p.Rewritten, plural(p.Sessions, "session"), p.Items, p.Failures)
	if spooled.Records > 0 {
		sentence += fmt.Sprintf("; read %s in the spool and rewrote %d", plural(spooled.Records, "record"), spooled.Rewritten)
	}
	if held {
		sentence += "; the spool is a running server's and was left (see the warning)"
	}
	switch {
	case erased:
		sentence += "; the file was rebuilt and its WAL emptied: no copy of what was masked is left in them"
	case eraseProblem != "":
		sentence += "; copies of what was masked may still be in the database file or its WAL (see the warning)"
	}
	if p.Left > 0 {
		sentence += fmt.Sprintf("; %s changed meanwhile by another process were left: run it again", plural(p.Left, "call"))
	}
	if grace := c.store.PartGrace(); grace > 0 && p.Rewritten > 0 {
		sentence += fmt.Sprintf("; the stored parts that held the secrets are removed once no call has used them for %s (PostgreSQL's grace for other instances' writers): by a server's retention sweep, or this command run again then", grace)
	}
	return c.report(fields, "%s", sentence)
}

// readSecrets reads the values to mask, one a line, to the end of the
// input (on a terminal, with echo off, until Ctrl-D). Every line must be a
// value Known masks wherever it stands: a line that is empty or blank, or
// shorter than redact.MinKnownLen (which would mask words and numbers of
// the text around it), is refused, naming its line, never its value.
func readSecrets(ctx context.Context, stdin io.Reader, stderr io.Writer) ([]string, error) {
	in := openSecretInput(ctx, stdin, stderr)
	defer in.close()
	var values []string
	for n := 1; ; n++ {
		prompt := "Secret to mask (one a line; Ctrl-D ends): "
		v, ok, err := in.line(prompt)
		if err != nil {
			return nil, err
		}
		if !ok {
			return values, nil
		}
		switch {
		case strings.TrimSpace(v) == "":
			return nil, fmt.Errorf("line %d of standard input is empty: give one secret a line, with no empty lines; nothing was changed", n)
		case len(v) < redact.MinKnownLen:
			return nil, fmt.Errorf("line %d of standard input is %s long: a value shorter than %d would mask ordinary words and numbers wherever they stand, so it is not masked; nothing was changed",
				n, plural(len(v), "byte"), redact.MinKnownLen)
		}
		values = append(values, v)
	}
}

// warnUnmasked says which accounts' secrets this command cannot mask: a
// stored password or credentials no QWENPROXY_SECRET_KEY here opens, and
// the passwords of another server's QWEN_ACCOUNTS.
func warnUnmasked(ctx context.Context, c *cli, pool *accounts.Pool) error {
	here := map[string]bool{}
	for _, st := range pool.Snapshot() {
		here[st.ID] = true
		if st.State == accounts.StateLocked {
			fmt.Fprintf(c.stderr, "qwenproxy history redact: warning: account %s: its secrets are not masked: %s; give them on standard input, or run with the key that opens them\n", st.ID, st.Problem)
		}
	}
	recs, err := c.store.Accounts(ctx, c.cfg.QwenBaseURL)
	if err != nil {
		return fmt.Errorf("read the stored accounts: %w", err)
	}
	for _, r := range recs {
		if !here[r.ID] && r.Source == qp.AccountEnvironment {
			fmt.Fprintf(c.stderr, "qwenproxy history redact: warning: account %s: its password is in a server's QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE), not given to this command, and is not masked: set QWEN_ACCOUNTS here too, or give it on standard input\n", r.ID)
		}
	}
	return nil
}

// spoolPath is the spool a server on this database keeps on this machine:
// RECORDER_SPOOL, else the database path's (--database-path here, as
// serve's own flag) with .spool, as serve has it.
func (c *cli) spoolPath() string {
	if v := c.getenv("RECORDER_SPOOL"); v != "" {
		return v
	}
	return c.cfg.DatabasePath + ".spool"
}
