// Package sqlite is the SQLite backend of the qwenproxy store: the default,
// embedded database. Writes go through a single connection (SQLite allows one
// writer at a time, and one connection avoids "database is locked" between
// our own writers); reads use a separate pool.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"qwenproxy/internal/mkdirs"
	"qwenproxy/internal/store/sqlstore"

	msqlite "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options tune the connection. Zero values take the defaults.
type Options struct {
	BusyTimeoutMS int // default 5000
	// Restored, when set, hears what an Open that made the file brought in
	// from the newest save beside it (restoreSave), for the caller to say.
	Restored func(RestoredSave)
	// Copying is the path of a save the caller copies whole into the file
	// (copy --from it): an Open that makes the file does not bring that
	// save's settings in first, which the copy brings, and which a save of
	// an older schema (copy reads one) would refuse.
	Copying string
	// Serving is the server's store (it holds the database's lock): its
	// close waits busy_timeout for readers to let the whole WAL be
	// checkpointed, and says one that kept it (ErrWALKept). A command's
	// close, often beside a running server whose WAL it is, does not wait,
	// and says only a checkpoint that failed (a full disk).
	Serving bool
}

// Open opens (creating if needed) the database file at path. Call Migrate
// before use. A path whose file is gone while its -wal or -shm is still
// there is refused (Orphaned), as is a file whose -shm is there without
// its -wal (WALGone). A file it makes beside the save of an
// earlier file deleted under a server takes that save's settings and id
// floors (restoreSave), whichever command makes it.
//
// An open that fails leaves nothing it made: the directories, the file and
// its journals that were not there before (see made). Discard removes them
// for a store whose first migration then failed.
func Open(ctx context.Context, path string, opt Options) (_ *sqlstore.Store, err error) {
	if opt.BusyTimeoutMS == 0 {
		opt.BusyTimeoutMS = 5000
	}
	// Before anything is made: a new file here would take the -wal and -shm
	// of the one deleted under a running server for its own.
	if err := Orphaned(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Nor under the -shm of a running server whose -wal was deleted.
	if err := WALGone(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	m := &made{path: path}
	defer func() {
		if err != nil {
			m.undo()
		}
	}()
	if dir := filepath.Dir(path); dir != "" {
		m.dirs = mkdirs.Missing(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open store: create directory %s: %w", dir, err)
		}
	}
	// SQLite says only "unable to open database file (14)" of these.
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("open store %s: a directory, not a database file: name a file in it (%s)", path, filepath.Join(path, "qwenproxy.db"))
	} else if err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("open store %s: not a regular file", path)
	} else if err == nil && names(fi) > 1 {
		return nil, fmt.Errorf("open store %s: the file has %d names (hard links): SQLite keeps the -wal beside the name a process opens it by, "+
			"so one opening it by another name writes a WAL of its own into it and corrupts it; remove the other names (find / -samefile %s) or use a copy",
			path, names(fi), path)
	}
	// Refused at its first write, SQLite would have read the file and made
	// a -wal and -shm beside it, of its mode and this process's owner,
	// which stop the next start of a server running as another user.
	if why := fileNotWritable(path, syscall.Access); why != "" {
		return nil, fmt.Errorf("open store %s: %s", path, why)
	}
	m.note()
	if err := create(ctx, path, m); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Before the connections' PRAGMAs, which would turn another
	// application's file to WAL mode.
	if err := notOurs(ctx, fileURI(path)+"?"+plainQuery(opt)); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	write, err := sql.Open("sqlite", dsn(path, opt, true))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn(path, opt, false))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	g := &guard{write: write, stat: os.Stat, serving: opt.Serving}
	s := sqlstore.New(sqlstore.Config{Dialect: dialect{path: path}, Write: write, Read: read, Migrations: migrations, Describe: path, Guard: g.check, CloseGuard: g.closing, Moved: g.moved,
		Discard: m.undo, Closed: g.closed})
	if err := s.Ping(ctx); err != nil {
		s.Close()
		if why := whyNotWritable(path, syscall.Access); why != "" {
			return nil, fmt.Errorf("open store %s: %w: %s", path, err, why)
		}
		if why := noRoom(path); why != "" {
			return nil, fmt.Errorf("open store %s: %w: %s", path, err, why)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	files := []held{{path, fi}}
	// The write connection, open for the store's life, keeps the -wal and
	// -shm too: SQLite removes them only when the last connection closes.
	for _, suffix := range []string{"-wal", "-shm"} {
		if fi, err := os.Stat(path + suffix); err == nil {
			files = append(files, held{path + suffix, fi})
		}
	}
	g.files = files
	if m.file != nil {
		restored, err := restoreSave(ctx, s, path, opt)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		if restored != nil && opt.Restored != nil {
			opt.Restored(*restored)
		}
	}
	return s, nil
}

// ErrFileGone is a database file deleted or replaced while open: writes
// would go to a file no one can find any more.
var ErrFileGone = errors.New("the database file was deleted or replaced while the server runs")

// ErrJournalGone is the database's -wal or -shm deleted or replaced while
// open: commits would go to a WAL no other process can see (and a crash
// would lose them), and another process opening the file would make a WAL
// and shared memory of its own beside the server's.
var ErrJournalGone = errors.New("the database's -wal or -shm file was deleted or replaced while the server runs")

// ErrFileUnreachable is a database file (or its -wal or -shm) whose path
// can no longer be looked at (its directory made unreadable to the server's
// user): whether it is still the file open cannot be known, and writes wait
// until it can.
var ErrFileUnreachable = errors.New("the database file's path cannot be checked")

// guard checks that the database's files at their paths are still the ones
// the connections hold.
type guard struct {
	files []held // the database file, then its -wal and -shm as opened (nil: not yet known)
	write *sql.DB
	stat  func(path string) (os.FileInfo, error) // os.Stat

	// unfinished is why the checkpoint as the store closed did not copy
	// the whole WAL into the file (nil: it did; see closing).
	unfinished error
	serving    bool // Options.Serving

	mu      sync.Mutex
	saved   string    // what became of the calls of a file with no name left ("": not saved)
	savedAt time.Time // the last attempt to save them
	// movedWhole is a file moved away whose whole WAL the close's check
	// checkpointed into it under its new name: the journals at the old
	// path hold nothing it lacks (release).
	movedWhole bool
}

// noteMovedWhole records that the file moved away holds its whole WAL.
func (g *guard) noteMovedWhole() {
	g.mu.Lock()
	g.movedWhole = true
	g.mu.Unlock()
}

// held is a file the connections hold open, as it was when opened.
type held struct {
	path string
	file os.FileInfo
}

// gone reports whether the file at h's path is no longer the one held: no
// file there (or no directory on the way), or another. err is why the path
// could not be looked at otherwise (permission denied): then it is not known
// to be gone.
func (h held) gone(stat func(string) (os.FileInfo, error)) (bool, error) {
	cur, err := stat(h.path)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return true, nil
	case err != nil:
		return false, err
	}
	return !os.SameFile(h.file, cur), nil
}

// moved says which file at its path is no longer the one opened, in the
// words of check's verdict on it, while that check runs (nil: none moved):
// check's look alone, a stat of each file and no query (a path that cannot
// be looked at is not known to have moved). Only what the look knows is
// said: the database file's deletion or replacement, and a save of its
// calls, only of the database file; its -wal or -shm deleted named as such
// (the probe answered with the database file's words, and a save never
// made, until the check's verdict a moment later).
func (g *guard) moved() error {
	for i, h := range g.files {
		if gone, err := h.gone(g.stat); !gone || err != nil {
			continue
		}
		if i == 0 {
			return fmt.Errorf("%s: %w: it is being checked in the background (the calls it held are saved beside it if it has no name left); records wait in the spool, or in memory", h.path, ErrFileGone)
		}
		return fmt.Errorf("%s: %w: it is being checked in the background; records wait in the spool, or in memory, until the server restarts", h.path, ErrJournalGone)
	}
	return nil
}

// check fails while a file at its path is not the one opened, and then
// checkpoints the WAL into the database file the connections hold.
//
// The database file moved away: the WAL keeps the name at path, so the
// moved file lacked every call committed since the last checkpoint (a
// restart then made a new file and wrote over that WAL: the calls were
// lost), and a file put in its place would be given another file's WAL at
// the next start. Its -wal or -shm deleted: commits would go to a WAL no
// other process can see, and the records after it go to the spool until a
// restart opens a WAL anew. Each check does it again (once the WAL is empty
// it costs next to nothing), so no commit that raced the change stays
// behind.
func (g *guard) check() error { return g.checkAt(false) }

// last is check as the store closes: a save that failed is tried again at
// once, not after its minute, as the close frees the only copy of the calls.
func (g *guard) last() error { return g.checkAt(true) }

// checkAt is check; closing tries a failed save again whenever it was.
func (g *guard) checkAt(closing bool) error {
	for i, h := range g.files {
		gone, err := h.gone(g.stat)
		if err != nil {
			// Not known to be gone: nothing is checkpointed or saved.
			return fmt.Errorf("%s: %w (%v); records wait in the spool, or in memory, until it can be", h.path, ErrFileUnreachable, err)
		}
		if !gone {
			continue
		}
		// Busy (a reader on an older snapshot past busy_timeout): the next
		// check tries again.
		whole := checkpointWhole(g.write, true) == nil
		if i == 0 {
			if closing && whole && named(h.file) {
				g.noteMovedWhole()
			}
			return fmt.Errorf("%s: %w%s; records wait in the spool, or in memory, until it is back (restore it, or restart to create a new one)", h.path, ErrFileGone, g.save(h, closing))
		}
		return fmt.Errorf("%s: %w; records wait in the spool, or in memory, until the server restarts", h.path, ErrJournalGone)
	}
	return nil
}

// save copies the database the connections hold beside path when that file
// has no name left — deleted, or replaced by a file renamed over it (a move
// to another file system is both) — and says where, for the refusals: the
// connections then hold the only copy of every call in it, which the
// server's stop would free, and the next start makes or opens another file
// at path. A file moved away keeps them under its new name: "". A failed
// copy (the disk full) is tried again a minute later, or at once when
// closing, the last chance.
func (g *guard) save(h held, closing bool) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if strings.HasPrefix(g.saved, savedNote) {
		return g.saved
	}
	if !g.savedAt.IsZero() && !closing && time.Since(g.savedAt) < time.Minute {
		return g.saved
	}
	if !unlinked(h.file) {
		return ""
	}
	g.savedAt = time.Now()
	path := h.path
	to, err := saveInto(g.write, path, g.savedAt)
	if err != nil {
		g.saved = fmt.Sprintf("; saving the calls it held failed (%v; tried again each minute): stopping the server loses them", err)
		return g.saved
	}
	g.saved = fmt.Sprintf("%s %s (after a restart, qwenproxy copy --from sqlite:%s --to sqlite:%s brings them into the new file)", savedNote, to, to, path)
	return g.saved
}

// savedNote begins the refusals' note of a file saved.
const savedNote = "; every call it held is saved in"

// unlinked reports whether the file held, as it was opened, has no name
// left. It reads the link count through the process's own descriptor of it
// in /proc/self/fd, which reaches a file that has no name: a descriptor of
// our own, closed, would drop SQLite's POSIX locks on the file. Without
// /proc (not Linux) it says no.
func unlinked(held os.FileInfo) bool {
	n, known := heldNames(held)
	return known && n == 0
}

// named reports whether the file held still has a name somewhere (moved
// away, not deleted); without /proc it says no.
func named(held os.FileInfo) bool {
	n, known := heldNames(held)
	return known && n > 0
}

// heldNames is the link count of the file held, read as unlinked says;
// known is false when no descriptor of the process reaches it.
func heldNames(held os.FileInfo) (n uint64, known bool) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	for _, fd := range fds {
		fi, err := os.Stat(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && os.SameFile(held, fi) {
			return names(fi), true
		}
	}
	return 0, false
}

// names is a file's link count (1 when unknown).
func names(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// Damaged reports whether err is SQLite finding a file that is not a
// database (a garbage header, a truncation) or a database damaged inside.
func Damaged(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return true
	}
	return false
}

// FileOf says which of the files of the database at db path names — the
// database itself, its -wal, -shm or -journal — by the same path or by
// being the same file (a link, another path to it), or "" for none. A
// file written there destroys the database or what it has not checkpointed.
func FileOf(db, path string) string {
	pathInfo, pathErr := os.Stat(path)
	for _, f := range []string{db, db + "-wal", db + "-shm", db + "-journal"} {
		if samePath(path, f) {
			return f
		}
		if fi, err := os.Stat(f); pathErr == nil && err == nil && os.SameFile(pathInfo, fi) {
			return f
		}
	}
	return ""
}

// samePath reports whether a and b are the same path once made absolute.
func samePath(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}

// PageSize is the page size of a database file this package creates, in
// bytes. A body's rows (1–3 KB compressed) left a quarter of 4 KB pages
// empty, as a page holds whole rows: at 8 KB the file of an 80-call agent
// conversation grows by 1.5× its new bytes instead of 1.8×
// (BenchmarkStorageThroughTheProxy), for ~3 % more CPU in the recorder
// (BenchmarkRecorderBatched). A file keeps the page size it was made with.
const PageSize = 8192

// create makes a new database file at path with PageSize pages, if there
// is none: the page size and auto_vacuum (incremental, so that retention
// gives space back without a full VACUUM) can be set only before the file
// has its first page. On a file that has one, setting auto_vacuum changes
// nothing but the header's change counter (turning it on takes a VACUUM).
//
// An empty file (one made ahead, by a deployment) is a new database too.
//
// The file it makes (none when one was there, even empty) is noted in m.
func create(ctx context.Context, path string, m *made) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 || err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil // there is one (or stat fails, and so will the open)
	}
	fi, err := ownerOnly(path)
	m.file = fi
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	db, err := sql.Open("sqlite", fileURI(path))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d; PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL", PageSize))
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	return nil
}

// ownerOnly makes path, when there is no file there, an empty file its
// owner alone may read and write (0600), which SQLite then takes for a new
// database and gives its -wal and -shm the same mode: a history holds every
// conversation, the stored keys' hashes and the Qwen credentials (the
// pasted cookie in clear without QWENPROXY_SECRET_KEY), where SQLite made
// it 0644 under the usual umask, readable by every user of the machine. A
// file that exists (made by another process meanwhile, or by the operator,
// empty) keeps its mode.
//
// It returns the file it made (nil when there was one).
func ownerOnly(path string) (os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return fi, err
}

// journalSuffixes name the files SQLite keeps beside a database.
var journalSuffixes = []string{"-wal", "-shm", "-journal"}

// made is what an Open made where there was nothing: the directories of
// the database's path, the file itself and its journals. A failed open,
// or the Discard of a store whose first migration failed, removes them
// (undo): such a file left behind, empty or half-migrated, was taken by
// the next start for a new database, and a failed command left an empty
// "database" no one had made.
type made struct {
	path     string
	dirs     []string    // made for path, the deepest first
	file     os.FileInfo // the database file, when this Open made it
	journals []string    // path's journals that were not there before it
}

// note records which of path's journals are not there yet.
func (m *made) note() {
	for _, suffix := range journalSuffixes {
		if _, err := os.Lstat(m.path + suffix); errors.Is(err, fs.ErrNotExist) {
			m.journals = append(m.journals, m.path+suffix)
		}
	}
}

// undo removes what the Open made, once its connections are closed: the
// file only while the path still names it (another process may have
// replaced it since), then its journals, then the directories while
// empty. A file that was there before the Open is left as it is, and so
// are its journals.
func (m *made) undo() error {
	if m.file == nil {
		mkdirs.Remove(m.dirs)
		return nil
	}
	if fi, err := os.Lstat(m.path); err != nil || !os.SameFile(fi, m.file) {
		return nil
	}
	var errs []error
	for _, p := range append([]string{m.path}, m.journals...) {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	m.file = nil
	mkdirs.Remove(m.dirs)
	return errors.Join(errs...)
}

// fileURI is path as a file: URI, which SQLite percent-decodes and cuts at
// '?' and '#': a path holding them (a%41.db, a#b.db) opened another file.
// A path beginning with // (//tmp/x.db, a POSIX path: /tmp/x.db on Linux)
// follows an empty authority (file:////tmp/x.db): after "file:" SQLite
// reads // as the start of one, and refused "file://tmp/x.db" as "invalid
// uri authority: tmp", after Open had made the empty file.
func fileURI(path string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	if strings.HasPrefix(path, "//") {
		return "file://" + escaped
	}
	return "file:" + escaped
}

// filePageSize is the page size in a database file's header (bytes 16–17,
// big-endian; 1 means 65536), or PageSize when it cannot be read.
func filePageSize(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return PageSize
	}
	defer f.Close()
	var h [18]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return PageSize
	}
	switch n := int(binary.BigEndian.Uint16(h[16:])); {
	case n == 1:
		return 65536
	case n >= 512:
		return n
	}
	return PageSize
}

// ErrNotOurs is a SQLite file holding tables but no qwenproxy
// schema_migrations: another application's database.
var ErrNotOurs = errors.New("not a qwenproxy database")

// notOurs refuses the database at uri when it holds tables (or views) but
// not qwenproxy's schema_migrations, which the migrations make before any
// other: another application's file (sqlite3 other.db 'create table
// foo(x)') was taken for an older qwenproxy schema, and the commands that
// write installed qwenproxy's tables into it, those that read a migrated
// snapshot of it. A file with no table is a new database; one this cannot
// read is left to the open, which says why.
func notOurs(ctx context.Context, uri string) error {
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil
		}
		if name == "schema_migrations" {
			return nil
		}
		names = append(names, name)
	}
	if rows.Err() != nil || len(names) == 0 {
		return nil
	}
	shown := strings.Join(names[:min(len(names), 3)], ", ")
	if len(names) > 3 {
		shown += fmt.Sprintf(" and %d more", len(names)-3)
	}
	return fmt.Errorf("%w: it holds tables (%s) but no qwenproxy tables (no schema_migrations), so it is another application's; "+
		"it was left as it is: name another file", ErrNotOurs, shown)
}

// plainQuery is the query of a connection that only reads the schema:
// the busy timeout alone, which changes nothing in the file.
func plainQuery(opt Options) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opt.BusyTimeoutMS))
	q.Set("mode", "rw")
	return q.Encode()
}

// dsn puts every PRAGMA in the connection string: PRAGMAs are per connection,
// and a pool opens connections on its own.
func dsn(path string, opt Options, writer bool) string {
	q := url.Values{}
	// No auto_vacuum here: create sets it on a new file, the only time it
	// takes effect; on any other it changed nothing but the header's change
	// counter, written by every connection opened — so a command that only
	// reads (or refuses a newer schema) changed the file.
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opt.BusyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// About 40 MB of WAL between checkpoints, whatever the file's pages.
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointBytes/filePageSize(path)))
	q.Add("_pragma", "foreign_keys(1)")
	// Statement journals (a multi-row INSERT … ON CONFLICT keeps one) in
	// memory, not in a temporary file written on every batch.
	q.Add("_pragma", "temp_store(MEMORY)")
	// A row deleted or written again has its old bytes zeroed in the pages
	// the write changes anyway (no more I/O): by default they stayed in the
	// page's free space, a deleted session's messages readable in the file.
	// Whole pages freed keep theirs until reused or given back
	// (https://sqlite.org/pragma.html#pragma_secure_delete). Counted under
	// callgrind, RecorderBatchedSessions 733.6 k → 734.8 k instructions a call.
	q.Add("_pragma", "secure_delete(FAST)")
	// Never create the file: Open has made it. A connection opened while the
	// file is moved away would make a new, empty one there and stay on it
	// after the database is moved back, failing every query it serves.
	q.Set("mode", "rw")
	if writer {
		// Take the write lock at BEGIN, so a transaction never fails half-way
		// on an upgrade from a read lock.
		q.Set("_txlock", "immediate")
	}
	return fileURI(path) + "?" + q.Encode()
}

// dialect is SQLite's side of the shared SQL. One process owns the file's
// writes through its single write connection, so the locks between
// processes that PostgreSQL needs are no-ops here: BEGIN IMMEDIATE already
// serialises writers. path is the database file's (empty for a store that
// only reads).
type dialect struct{ path string }

func (dialect) Name() string { return "sqlite" }

func (dialect) Rebind(q string) string { return q }

func (dialect) LockMigrations(context.Context, *sql.Conn) (func(), error) { return func() {}, nil }

func (dialect) LockRollups(context.Context, *sql.Tx) error { return nil }

// SessionsDeleted merges the session search's index (FTS5, migration
// 0038), at most sessionSearchMergePages pages of it: FTS5 writes a
// deleted session's entries off as delete markers beside them, which only
// a merge takes out, and the sessions of a batch share one segment of the
// index (written many to a statement), which the automatic merges, counting
// segments, seldom reach. Unmerged, deleting sessions grew the file, and
// retention by size, measuring it, went on deleting to the newest call.
func (dialect) SessionsDeleted(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO session_search (session_search, rank) VALUES ('merge', ?)`, -sessionSearchMergePages); err != nil {
		return fmt.Errorf("merge the session search's index: %w", err)
	}
	return nil
}

// sessionSearchMergePages bounds a merge of the session search's index
// (SessionsDeleted), in FTS5 pages (pgsz, 4,050 bytes by default): a
// negative count begins an incremental optimize, which the next merge
// goes on with.
const sessionSearchMergePages = 256

// ReclaimSpace returns free pages to the file system, a thousand at a time,
// so that the writer is never held off for long, then checkpoints the WAL
// into the file and truncates it: in WAL mode the file shrinks only at a
// checkpoint, which SQLite makes by itself only once the WAL holds
// wal_autocheckpoint's ~40 MB — so a prune or a size retention left
// the file as large as before, and the WAL larger. It checkpoints even when
// nothing was freed: a rewrite in place (history redact) frees no page, and
// the WAL kept the pages as they were before it, secrets and all.
func (dialect) ReclaimSpace(ctx context.Context, db *sql.DB) error {
	for {
		var free int
		if err := db.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
			return err
		}
		if free == 0 {
			// Readers still on older pages keep the WAL (busy): the next
			// sweep tries again.
			_, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
			return err
		}
		if _, err := db.ExecContext(ctx, `PRAGMA incremental_vacuum(1000)`); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// EraseDeleted turns secure_delete on for tx's connection (the one writer
// connection; it stays on for that connection's life, which is a CLI
// command's): SQLite then overwrites with zeros the cells and pages it
// frees, where by default the bytes stay in the file's free space until
// reused (https://sqlite.org/pragma.html#pragma_secure_delete).
func (dialect) EraseDeleted(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `PRAGMA secure_delete = ON`)
	return err
}

// BatchContext drops ctx's deadline and cancellation: modernc's driver
// starts a goroutine to watch the context of every statement that can be
// cancelled, and a batch runs tens of statements: 10–20 % of the writer's
// CPU a call (RecorderBatched, six runs alternated: 77.6–106.5 µs a call
// with the deadline, 71.9–83.9 without; with sessions 98.6–122.5 against
// 91.1–104.7). Nothing in a batch waits on a context here: a lock is
// waited for busy_timeout at most, and the disk cannot be interrupted.
func (dialect) BatchContext(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// Refuses is true of the errors SQLite gives for values the schema cannot
// take: too big, of the wrong type, and the schema's own constraints (NOT
// NULL, UNIQUE, PRIMARY KEY, FOREIGN KEY, a strict column's type). Not of
// CHECK constraints and triggers: the schema has none on the calls, so
// those are an operator's, and may refuse every record alike.
func (dialect) Refuses(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY,
		sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_DATATYPE:
		return true
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
		return true
	}
	return false
}

// Busy is true of SQLITE_BUSY (any of its extended codes): the file's
// lock, which another process held past busy_timeout (the writer's BEGIN
// IMMEDIATE takes it first, so no transaction meets it half-way).
func (dialect) Busy(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// MigrationLockTimedOut is false: SQLite's migrations wait for the file's
// write lock like any writer (DATABASE_BUSY_TIMEOUT).
func (dialect) MigrationLockTimedOut(error) bool { return false }

func (dialect) UndefinedTable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such table")
}

// SizeCountsRows is true: Size is the file's pages, rows and all.
func (dialect) SizeCountsRows() bool { return true }

// SizeIsCheap is true: Size is three pragmas.
func (dialect) SizeIsCheap() bool { return true }

// Size is the file's pages in use: what the history occupies, without the
// free pages that retention's deletes leave (reused, and given back by
// ReclaimSpace).
func (dialect) Size(ctx context.Context, db *sql.DB) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT (p.page_count - f.freelist_count) * s.page_size
		FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s`).Scan(&n)
	return n, err
}

// PartGrace is 0: a write transaction holds the file's write lock from its
// start, so no writer can be between finding a body part and referencing it
// while a delete runs.
func (dialect) PartGrace() time.Duration { return 0 }

// SnapshotInto writes a consistent copy of st's database, a SQLite one, to
// path (a new file), leaving the database as it is.
func SnapshotInto(ctx context.Context, st *sqlstore.Store, path string) error {
	if _, err := st.DB().ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("snapshot %s into %s: %w", st, path, err)
	}
	return nil
}

// ReusesRowIDs is true: SQLite gives a new row the largest id plus one, the
// id of the newest row once it is deleted (a table without AUTOINCREMENT,
// which a migration could add only by copying every call).
func (dialect) ReusesRowIDs() bool { return true }
