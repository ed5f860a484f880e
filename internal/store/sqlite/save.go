package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The names of a database's saves beside its path: SavedInfix when whole,
// IncompleteInfix while written. A save cut short — the process killed,
// the power lost, the disk full — would otherwise leave a file that looks
// like a copy of the history but holds only its first pages.
const (
	SavedInfix      = ".saved-"
	IncompleteInfix = ".incomplete-save-"
)

// saveInto copies the database db holds into a new file beside path named
// for at (its directory made again if it was removed), whole or not at
// all: it is written under an incomplete name,
// synced, and only then renamed to <path>.saved-<at> (and the directory
// synced, so that the name outlives a power loss). It returns the saved
// file's path.
func saveInto(db *sql.DB, path string, at time.Time) (string, error) {
	// The directory may have gone with the file (an `rm -rf` of the data
	// directory): made again, as the spool makes its own, it takes the copy
	// that nothing else could.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("make %s again: %w", filepath.Dir(path), err)
	}
	stamp := at.UTC().Format("20060102T150405Z")
	to, partial := path+SavedInfix+stamp, path+IncompleteInfix+stamp
	for _, name := range []string{to, partial} {
		if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s is taken", name)
		}
	}
	// Made first, empty, as the database is (ownerOnly): VACUUM INTO
	// takes an empty file, and made one by the umask, 0644.
	if _, err := ownerOnly(partial); err != nil {
		return "", fmt.Errorf("create %s: %w", partial, err)
	}
	if _, err := db.Exec(`VACUUM INTO ?`, partial); err != nil {
		removePartial(partial)
		return "", fmt.Errorf("copy into %s: %w", partial, err)
	}
	// VACUUM INTO does not sync what it wrote: a power loss after the
	// rename could leave the name on a file missing pages.
	if err := syncPath(partial); err != nil {
		removePartial(partial)
		return "", fmt.Errorf("sync %s: %w", partial, err)
	}
	if err := os.Rename(partial, to); err != nil {
		removePartial(partial)
		return "", fmt.Errorf("rename %s to %s: %w", partial, to, err)
	}
	// The file is whole under its name now; a directory that cannot be
	// synced only risks the name at a power loss, which would take the
	// calls held in memory with it anyway.
	syncPath(filepath.Dir(to))
	return to, nil
}

// removePartial removes what a save that failed left: its file and the
// journal SQLite may have kept beside it.
func removePartial(partial string) {
	os.Remove(partial)
	os.Remove(partial + "-journal")
}

// syncPath flushes a file's or a directory's contents to the disk.
func syncPath(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// IncompleteSaves lists the files beside path that a save of its database
// left unfinished (the server killed or the machine stopped while it
// wrote them): they hold part of a history at most, and are never to be
// copied back. They are left for the operator to remove: one may be a
// save another process is still writing.
func IncompleteSaves(path string) ([]string, error) {
	return besides(path, IncompleteInfix, "incomplete saves")
}

// Saves lists the whole saves beside path: the histories of database files
// deleted or replaced under a server, which hold calls a database made
// anew after them lacks until they are copied into it.
// The -wal, -shm or -journal that a reader of a save left beside it is
// not one.
func Saves(path string) ([]string, error) {
	saved, err := besides(path, SavedInfix, "saves")
	return slices.DeleteFunc(saved, func(f string) bool {
		return strings.HasSuffix(f, "-wal") || strings.HasSuffix(f, "-shm") || strings.HasSuffix(f, "-journal")
	}), err
}

// besides lists the files in path's directory whose names are path's
// followed by infix.
func besides(path, infix, what string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s of %s: %w", what, path, err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), base+infix) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}
