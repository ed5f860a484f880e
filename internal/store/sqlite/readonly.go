package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"syscall"

	"qwenproxy/internal/store/sqlstore"
)

// MayNotWrite says why this process may not write the database at path —
// the file, its directory (where SQLite makes the -wal and -shm), those
// files, or a read-only file system — or "" when it may (as far as
// access(2) knows: root may write a file of mode 0444).
func MayNotWrite(path string) string { return whyNotWritable(path, syscall.Access) }

// OpenReadOnly opens the existing database file at path for reading only,
// for the commands that only read a file this process may not write (mode
// 0444, a read-only directory, a backup on a read-only mount): Open's
// connections would fail on their first PRAGMA. It changes nothing, and
// leaves nothing beside the file. The store's writes fail with SQLite's
// "attempt to write a readonly database"; it is never migrated.
//
// A file with no -wal (or -journal) beside it has no connection open and
// nothing committed outside it: it is opened immutable, which reads it
// without the -shm that SQLite would otherwise make beside it — which a
// read-only directory refuses, and which, made by another user with the
// file's mode, would stop the server's next start. One with a -wal is read
// through the WAL as usual, which needs its -shm.
func OpenReadOnly(ctx context.Context, path string, opt Options) (*sqlstore.Store, error) {
	if opt.BusyTimeoutMS == 0 {
		opt.BusyTimeoutMS = 5000
	}
	// Opened immutable (no -wal), it read the file without the WAL a
	// running server holds, a history missing its latest calls.
	if err := WALGone(path); err != nil {
		return nil, fmt.Errorf("open store %s read-only: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s read-only: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("open store %s read-only: not a regular file", path)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opt.BusyTimeoutMS))
	q.Add("_pragma", "temp_store(MEMORY)")
	wal := exists(path+"-wal") || exists(path+"-journal")
	if !wal {
		q.Set("immutable", "1")
	}
	if err := notOurs(ctx, fileURI(path)+"?"+q.Encode()); err != nil {
		return nil, fmt.Errorf("open store %s read-only: %w", path, err)
	}
	db, err := sql.Open("sqlite", fileURI(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s read-only: %w", path, err)
	}
	db.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := sqlstore.New(sqlstore.Config{Dialect: dialect{}, Write: db, Read: db, Migrations: migrations, Describe: path})
	// A ping opens no file: read the schema to know the file is a database.
	if _, err := s.MigrationStatus(ctx); err != nil {
		s.Close()
		if wal {
			return nil, fmt.Errorf("open store %s read-only: %w: its -wal holds commits not yet in the file, which SQLite reads only through "+
				"the -shm beside it, and %s: copy the file with its -wal to a directory this process may write, or read it as the user the server runs as",
				path, err, MayNotWrite(path))
		}
		return nil, fmt.Errorf("open store %s read-only: %w", path, err)
	}
	return s, nil
}

// exists reports whether a file is at path.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
