package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"qwenproxy/internal/store"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
)

// readIdleTimeout bounds each read of a reading command's PostgreSQL
// queries: no byte from the server for this long fails the command, saying
// so (a database frozen after the connection was made held it for ever).
// The commands that write (and may migrate, which can take minutes
// without a word from the server) are not bounded.
const readIdleTimeout = 2 * time.Minute

// openUnchanged opens a database for a command that must not change it
// (copy's source, the history commands that only read). One at this
// binary's schema is read as it is. An older SQLite file — often the copy
// kept from before an upgrade, to go back with — is read from a migrated
// snapshot in a temporary directory, removed by the returned close:
// migrated in place, the earlier version would refuse it afterwards. An
// older PostgreSQL database, which instances of the earlier version may be
// using, is refused; why says why nothing is migrated ("copy does not
// change its source"). With createNew, a database no migration has touched
// (one the command made, as those that may run before the first serve do)
// is migrated: there is no earlier version's schema to keep. snapshot
// reports that a snapshot is read. closeIt returns the database's close's
// error (a WAL it could not checkpoint: sqlite.ErrWALKept). restored hears what a SQLite file the
// open made brought in from a save beside it (sqlite.Open).
func openUnchanged(ctx context.Context, target, why string, createNew bool, restored func(sqlite.RestoredSave)) (st *sqlstore.Store, closeIt func() error, snapshot bool, err error) {
	readOnly := false
	if path := strings.TrimPrefix(target, "sqlite:"); !postgres.IsURL(target) && existingDatabase(path) == nil && sqlite.MayNotWrite(path) != "" {
		// A file this process may only read (its mode, its directory's,
		// a read-only mount): opened to write, it failed with SQLite's
		// "attempt to write a readonly database".
		readOnly = true
		st, err = sqlite.OpenReadOnly(ctx, path, sqlite.Options{})
	} else {
		st, err = store.Open(ctx, target, store.Options{SQLite: sqlite.Options{Restored: restored}, Postgres: postgres.Options{ReadIdleTimeout: readIdleTimeout}})
	}
	if err != nil {
		return nil, nil, false, err
	}
	status, err := st.MigrationStatus(ctx)
	if err != nil {
		st.Discard() // a file this open made goes with it
		return nil, nil, false, err
	}
	i := slices.IndexFunc(status, func(m sqlstore.MigrationStatus) bool { return m.AppliedAt.IsZero() && !m.Unknown })
	untouched := !slices.ContainsFunc(status, func(m sqlstore.MigrationStatus) bool { return !m.AppliedAt.IsZero() })
	if readOnly && i < 0 {
		if err := sqlstore.RefuseSchema(status); err != nil {
			st.Close()
			return nil, nil, false, err
		}
		return st, st.Close, false, nil
	}
	if i < 0 || createNew && untouched && !readOnly {
		if _, err := st.Migrate(ctx); err != nil { // applies nothing (or all, to a new one); refuses a newer schema
			st.Discard() // a file this open made goes with it
			return nil, nil, false, err
		}
		return st, st.Close, false, nil
	}
	if postgres.IsURL(target) && untouched {
		// A database made for the proxy that no server has started on yet:
		// "its schema is older than this qwenproxy's … once the instances
		// using it run this version" sent a newcomer looking for instances.
		st.Close()
		return nil, nil, false, fmt.Errorf("it has no qwenproxy tables yet (no migration applied: no server has run on it) and %s: "+
			"qwenproxy serve --database-url creates them as it starts, as does qwenproxy migrate up --database-url", why)
	}
	if postgres.IsURL(target) {
		st.Close()
		return nil, nil, false, fmt.Errorf("its schema is older than this qwenproxy's (migration %d, %s, not applied) and %s: "+
			"run qwenproxy migrate up --database-url on it once the instances using it run this version", status[i].Version, status[i].Name, why)
	}
	dir, err := os.MkdirTemp("", "qwenproxy-snapshot-")
	if err != nil {
		st.Close()
		return nil, nil, false, fmt.Errorf("snapshot of an older schema: %w", err)
	}
	path := filepath.Join(dir, "snapshot.db")
	err = sqlite.SnapshotInto(ctx, st, path)
	st.Close()
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, false, err
	}
	migrated, err := openMigrated(ctx, "sqlite:"+path, store.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, false, err
	}
	// The snapshot's WAL goes with its directory: nothing to say of it.
	return migrated, func() error { migrated.Close(); return os.RemoveAll(dir) }, true, nil
}
