package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"qwenproxy/internal/config"
	"qwenproxy/internal/redact"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
)

// copyCmd copies a whole history from one database to another: most often
// an existing SQLite file into the PostgreSQL database several instances
// will share.
func copyCmd(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = fs.PrintDefaults // the command's help (commandHelp) heads it
	from := fs.String("from", "", "source: sqlite:PATH (or a PATH) or postgres://…")
	to := fs.String("to", "", "destination: postgres://… or sqlite:PATH")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(positional, 0); err != nil {
		return err
	}
	if err := missingTargets(*from, *to); err != nil {
		return err
	}
	for _, target := range []struct{ flag, value string }{{"--from", *from}, {"--to", *to}} {
		if err := checkTarget(target.value); err != nil {
			return fmt.Errorf("%s %s: %w", target.flag, shownTarget(target.value), err)
		}
	}
	for _, target := range []struct{ flag, value string }{{"--from", *from}, {"--to", *to}} {
		if w := config.ArgumentPassword(target.flag, target.value, ""); w != "" {
			fmt.Fprintf(stderr, "qwenproxy copy: warning: %s\n", w)
		}
	}
	if sameDatabase(*from, *to) {
		return errors.New("--from and --to name the same database")
	}
	if !postgres.IsURL(*from) {
		if err := existingDatabase(strings.TrimPrefix(*from, "sqlite:")); err != nil {
			return fmt.Errorf("no database at %s: %w", shownTarget(*from), err)
		}
	}
	src, closeSource, err := openSource(ctx, *from)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer func() { sayWALKept(stderr, "copy", closeSource()) }()
	// A file copy makes beside a save takes that save's settings and id
	// floors first (sqlite.Open), unless it is the save copied, whose
	// settings the copy brings (and whose older schema the restore refuses).
	var copying string
	if !postgres.IsURL(*from) {
		copying = strings.TrimPrefix(*from, "sqlite:")
	}
	dst, err := openMigrated(ctx, *to, store.Options{SQLite: sqlite.Options{Restored: sayRestored(stderr, "copy"), Copying: copying}})
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	defer func() { sayWALKept(stderr, "copy", dst.Close()) }()
	// What copy says names the databases as they were given (a SQLite
	// source at an older schema is read from a snapshot whose path is
	// removed by then), a URL's password masked.
	source, destination := shownTarget(*from), shownTarget(*to)

	bar := newProgress(stderr, "copied")
	res, err := sqlstore.Copy(ctx, src, dst, func(p sqlstore.CopyProgress) { bar.setOf(p.Calls, p.TotalCalls) })
	bar.done(res.Calls)
	if err != nil {
		return fmt.Errorf("%w (run the same command again to resume)", err)
	}
	if *asJSON {
		return writeJSON(stdout, map[string]any{"from": source, "to": destination, "sessions": res.Sessions,
			"sessions_already_copied": res.SessionsThere, "calls": res.Calls, "already_copied": res.Resumed})
	}
	fmt.Fprintf(stdout, "copied %s and %s (%s and %s already there) from %s to %s\n",
		plural(res.Sessions, "session"), plural(res.Calls-res.Resumed, "call"),
		plural(res.SessionsThere, "session"), plural(res.Resumed, "call"), source, destination)
	return nil
}

// missingTargets refuses a copy without --from or --to (or given one
// empty), naming the flag missing: the usage line alone left the reader to
// spot which.
func missingTargets(from, to string) error {
	var missing string
	switch {
	case from == "" && to == "":
		missing = "--from and --to are required"
	case from == "":
		missing = "--from is required"
	case to == "":
		missing = "--to is required"
	default:
		return nil
	}
	return usagef("%s: usage: qwenproxy copy --from sqlite:PATH --to postgres://user@host/db", missing)
}

// checkTarget refuses a --from or --to that is neither a PostgreSQL URL nor
// a SQLite path: a URL of another scheme (postgress://…, pg://…,
// mysql://…) was taken for a relative path, made a SQLite file of that name
// and printed the password in it.
func checkTarget(target string) error {
	if postgres.IsURL(target) {
		return nil
	}
	return config.CheckDatabasePath(target)
}

// shownTarget is a --from or --to as given, for what copy says: a
// PostgreSQL URL with its passwords masked (the user part's and the
// query's), a path as it is.
func shownTarget(target string) string {
	if postgres.IsURL(target) {
		return postgres.Redact(target)
	}
	return redact.URLValue(target)
}

// sameDatabase reports whether from and to name one database: the same
// target, or SQLite paths to one file (a link, "sqlite:" or not, another
// path) or to one of its own files (its -wal, -shm, -journal), which SQLite
// would open as a database of its own beside the source's.
func sameDatabase(from, to string) bool {
	if from == to {
		return true
	}
	if postgres.IsURL(from) || postgres.IsURL(to) {
		return false
	}
	from, to = strings.TrimPrefix(from, "sqlite:"), strings.TrimPrefix(to, "sqlite:")
	return sqlite.FileOf(from, to) != "" || sqlite.FileOf(to, from) != ""
}

// openSource opens the database copy reads without changing it (see
// openUnchanged).
func openSource(ctx context.Context, target string) (*sqlstore.Store, func() error, error) {
	st, closeIt, _, err := openUnchanged(ctx, target, "copy does not change its source", false, nil)
	return st, closeIt, err
}

// openMigrated opens the database at target and migrates it.
func openMigrated(ctx context.Context, target string, opt store.Options) (*sqlstore.Store, error) {
	st, err := store.Open(ctx, target, opt)
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Discard() // a file this open made goes with it
		return nil, err
	}
	return st, nil
}
