package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

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
	if *from == "" || *to == "" {
		return usageError{err: errors.New("usage: qwenproxy copy --from sqlite:PATH --to postgres://user@host/db")}
	}
	if sameDatabase(*from, *to) {
		return errors.New("--from and --to name the same database")
	}
	// The source as it was given, named so in what copy says: a SQLite file
	// at an older schema is read from a snapshot whose path is removed by then.
	source := ""
	if !postgres.IsURL(*from) {
		source = strings.TrimPrefix(*from, "sqlite:")
		if err := existingDatabase(source); err != nil {
			return fmt.Errorf("no database at %s: %w", source, err)
		}
	}
	src, closeSource, err := openSource(ctx, *from)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer closeSource()
	if source == "" {
		source = src.String() // a PostgreSQL URL, its password masked
	}
	dst, err := openMigrated(ctx, *to)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	defer dst.Close()

	bar := newProgress(stderr, "copied")
	res, err := sqlstore.Copy(ctx, src, dst, func(p sqlstore.CopyProgress) { bar.setOf(p.Calls, p.TotalCalls) })
	bar.done(res.Calls)
	if err != nil {
		return fmt.Errorf("%w (run the same command again to resume)", err)
	}
	if *asJSON {
		return writeJSON(stdout, map[string]any{"from": source, "to": dst.String(), "sessions": res.Sessions,
			"sessions_already_copied": res.SessionsThere, "calls": res.Calls, "already_copied": res.Resumed})
	}
	fmt.Fprintf(stdout, "copied %s and %s (%s and %s already there) from %s to %s\n",
		plural(res.Sessions, "session"), plural(res.Calls-res.Resumed, "call"),
		plural(res.SessionsThere, "session"), plural(res.Resumed, "call"), source, dst)
	return nil
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
func openSource(ctx context.Context, target string) (*sqlstore.Store, func(), error) {
	st, closeIt, _, err := openUnchanged(ctx, target, "copy does not change its source", false)
	return st, closeIt, err
}

func openMigrated(ctx context.Context, target string) (*sqlstore.Store, error) {
	st, err := store.Open(ctx, target, store.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
