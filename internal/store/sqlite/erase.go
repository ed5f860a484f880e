package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"qwenproxy/internal/diskroom"
	"qwenproxy/internal/store/sqlstore"
)

// EraseFreed rebuilds the file (VACUUM), then truncates its WAL
// (TruncateJournal): secure_delete zeroes only what is deleted while it is
// on, and the old versions of rows that earlier writes freed without it (a
// server's rewrites of a session's row and its calls' bodies) stayed in the
// free space of live pages, where no later delete reaches. VACUUM writes
// every row again into a new database and copies it over the file, page by
// page, through the WAL; the checkpoint then writes those pages over every
// page of the file, truncates it to its new size, and empties the WAL.
//
// VACUUM builds the new database in a temporary file (temp_store FILE for
// its run; the connection keeps statement journals in memory otherwise,
// and in memory the copy of the whole history would be too), and holds the
// file's write lock while it runs: a server's writes meanwhile wait
// DATABASE_BUSY_TIMEOUT, then go to its spool. Its room is checked first:
// the copy in the temporary directory and the WAL beside the file each
// take up to the file's size.
func (d dialect) EraseFreed(ctx context.Context, db *sql.DB) (bool, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var pages, pageSize int64
	if err := conn.QueryRowContext(ctx, `SELECT * FROM pragma_page_count, pragma_page_size`).Scan(&pages, &pageSize); err != nil {
		return false, fmt.Errorf("measure the file: %w", err)
	}
	if err := d.roomToRebuild(pages * pageSize); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA temp_store = FILE`); err != nil {
		return false, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA temp_store = MEMORY`)
	if _, err := conn.ExecContext(ctx, `VACUUM`); err != nil {
		return false, fmt.Errorf("%w: rebuild the file (VACUUM): %w", sqlstore.ErrNotErased, err)
	}
	// On this connection: the write pool has no other.
	if err := truncateJournal(ctx, conn); err != nil {
		return false, err
	}
	return true, nil
}

// roomToRebuild refuses a rebuild of a file of size bytes where the
// temporary directory (TMPDIR, the new database's) and the file's own (the
// WAL's) have less room than size each — twice size where they share a
// file system: VACUUM would fill the disk, a server's too, before failing.
func (d dialect) roomToRebuild(size int64) error {
	dirs := []string{os.TempDir(), filepath.Dir(d.path)}
	need := []uint64{uint64(size), uint64(size)}
	if sameFileSystem(dirs[0], dirs[1]) {
		dirs, need = dirs[1:], []uint64{2 * uint64(size)}
	}
	for i, dir := range dirs {
		free, err := diskroom.Free(dir)
		if err != nil {
			continue // not known here: tried, as on a disk with room
		}
		if free < need[i] {
			return fmt.Errorf("%w: rebuilding the file needs %d MB free in %s (a copy of the database in the temporary directory, TMPDIR, and its WAL beside it), which has %d MB",
				sqlstore.ErrNotErased, (need[i]+(1<<20)-1)>>20, dir, free>>20)
		}
	}
	return nil
}

// sameFileSystem reports whether the directories a and b are known to be
// on one file system (one device).
func sameFileSystem(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return false
	}
	sa, okA := fa.Sys().(*syscall.Stat_t)
	sb, okB := fb.Sys().(*syscall.Stat_t)
	return okA && okB && sa.Dev == sb.Dev
}

// TruncateJournal checkpoints the WAL into the file and truncates it to
// nothing, and says when it could not: a reader still on pages the WAL
// holds (a server's read in progress), or a writer, held it past the busy
// timeout; the pages it kept as they were before a write — secrets a
// command deleted or replaced included — are then still in it, and the
// file may still hold the pages it was to replace.
func (dialect) TruncateJournal(ctx context.Context, db *sql.DB) error {
	return truncateJournal(ctx, db)
}

func truncateJournal(ctx context.Context, db interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) error {
	var busy, frames, done int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("%w: checkpoint the WAL: %w", sqlstore.ErrNotErased, err)
	}
	if busy != 0 || frames > 0 {
		return fmt.Errorf("%w: the WAL could not be checkpointed and truncated: another process (a server) was reading or writing the database", sqlstore.ErrNotErased)
	}
	return nil
}
