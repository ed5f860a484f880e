package sqlite

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrJournalsWithoutFile is a database path with no file at it but a -wal
// or -shm beside it: the file was deleted or moved while a server held it
// (or before the -wal and -shm of a crashed one were cleared away).
var ErrJournalsWithoutFile = errors.New("the database file is gone (deleted or moved) but its -wal or -shm is still beside its path")

// Orphaned refuses a path whose database file is gone while its -wal or
// -shm is still there, saying what happened and what to do; nil otherwise.
//
// Opened then, SQLite made a new empty file and took the -wal and -shm
// beside it for its own: those of the file a running server still holds.
// The command's writes went into the server's WAL, the server's reads then
// saw the new file's empty history, and its checkpoints went into the
// file no one can open again; after its restart the command's change was
// nowhere. Nothing is made, and neither the -wal nor the -shm is touched.
//
// SQLite neither checkpoints nor deletes the WAL of a file that has no
// name left (databaseIsUnmoved): the server's stop removes the ones it
// held once their calls are saved (release); a crashed server's stay until
// moved away, by the operator who knows no server runs.
func Orphaned(path string) error {
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		return nil // a file is there (or cannot be looked at: the open says why)
	}
	var left []string
	for _, suffix := range []string{"-wal", "-shm"} {
		// Only files: a directory by that name is no SQLite journal, and
		// SQLite's own refusal of it says more.
		if fi, err := os.Lstat(path + suffix); err == nil && fi.Mode().IsRegular() {
			left = append(left, path+suffix)
		}
	}
	if len(left) == 0 {
		return nil
	}
	saved := "none yet: the server saves them at its next write, health check or stop"
	if names, err := Saves(path); err == nil && len(names) > 0 {
		saved = strings.Join(names, ", ")
	}
	moveAway := "move " + strings.Join(left, " and ") + " away"
	return fmt.Errorf("%w (%s): a server still running holds the deleted file and saves its calls as %s%s<UTC time> (saved so far: %s); "+
		"opening the path now would make a new file that takes that server's -wal and -shm for its own and mixes the two databases, so nothing was made or changed. "+
		"Stop that server (its stop saves the calls if it has not yet, then removes the -wal and -shm it held) "+
		"and run the command again: serve then makes a new file, and qwenproxy copy --from sqlite:SAVED --to sqlite:%s brings the saved calls back into it. "+
		"If no server runs (they are left from a crash after the file was deleted), %s first and run the command again",
		ErrJournalsWithoutFile, strings.Join(left, ", "), path, SavedInfix, saved, path, moveAway)
}

// release removes the -wal and -shm of a database file deleted under the
// store, once no connection holds them and every call they served is in the
// saved copy (the guard's save, whole), or in the file itself when it was
// moved away and the close checkpointed the whole WAL into it under its new
// name (movedWhole): SQLite neither checkpoints nor removes the WAL of a
// file whose name went, and left at the path they made every later open
// refuse it (Orphaned) until moved away by hand, the restart the README
// advises too. Only the journals the connections held go: a file put at
// their path since is another database's.
func (g *guard) release() {
	g.mu.Lock()
	saved := strings.HasPrefix(g.saved, savedNote) || g.movedWhole
	g.mu.Unlock()
	if !saved || len(g.files) == 0 {
		return
	}
	for _, h := range g.files[1:] {
		if gone, err := h.gone(g.stat); err == nil && !gone {
			os.Remove(h.path)
		}
	}
}
