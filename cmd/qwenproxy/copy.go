package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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
	if !postgres.IsURL(*from) {
		path := strings.TrimPrefix(*from, "sqlite:")
		if err := existingDatabase(path); err != nil {
			return fmt.Errorf("no database at %s: %w", path, err)
		}
	}
	src, closeSource, err := openSource(ctx, *from)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer closeSource()
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
		return writeJSON(stdout, map[string]any{"from": src.String(), "to": dst.String(), "sessions": res.Sessions,
			"sessions_already_copied": res.SessionsThere, "calls": res.Calls, "already_copied": res.Resumed})
	}
	fmt.Fprintf(stdout, "copied %s and %s (%s and %s already there) from %s to %s\n",
		plural(res.Sessions, "session"), plural(res.Calls-res.Resumed, "call"),
		plural(res.SessionsThere, "session"), plural(res.Resumed, "call"), src, dst)
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

// openSource opens the database copy reads without changing it. One at
// this binary's schema is read as it is. An older SQLite file — often the
// copy kept from before an upgrade, to go back with — is read from a
// migrated snapshot in a temporary directory, removed with it: migrated in
// place, the earlier version would refuse it afterwards. An older
// PostgreSQL database, which instances of the earlier version may be
// using, is refused.
func openSource(ctx context.Context, target string) (*sqlstore.Store, func(), error) {
	st, err := store.Open(ctx, target, store.Options{})
	if err != nil {
		return nil, nil, err
	}
	status, err := st.MigrationStatus(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	i := slices.IndexFunc(status, func(m sqlstore.MigrationStatus) bool { return m.AppliedAt.IsZero() && !m.Unknown })
	if i < 0 {
		if _, err := st.Migrate(ctx); err != nil { // applies nothing; refuses a newer schema
			st.Close()
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}
	if postgres.IsURL(target) {
		st.Close()
		return nil, nil, fmt.Errorf("its schema is older than this qwenproxy's (migration %d, %s, not applied) and copy does not change its source: "+
			"run qwenproxy migrate up --database-url on it once the instances using it run this version", status[i].Version, status[i].Name)
	}
	dir, err := os.MkdirTemp("", "qwenproxy-copy-")
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("snapshot of an older schema: %w", err)
	}
	snapshot := filepath.Join(dir, "source.db")
	err = sqlite.SnapshotInto(ctx, st, snapshot)
	st.Close()
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	migrated, err := openMigrated(ctx, "sqlite:"+snapshot)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return migrated, func() { migrated.Close(); os.RemoveAll(dir) }, nil
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
