package sqlite

import (
	"errors"
	"fmt"
	"os"
)

// ErrWALGone is a database file whose -shm is beside it without its -wal:
// the -wal was deleted or moved while a server held it (or after a crash).
var ErrWALGone = errors.New("the database's -wal is gone (deleted or moved) but its -shm is still beside the file")

// WALGone refuses a database file at path whose -wal is gone while its
// -shm is still there, saying what happened and what to do; nil otherwise
// (no file there is Orphaned's to say).
//
// SQLite makes the -wal before the -shm and removes the -shm first, so
// one without the other is no moment of its own: someone removed the -wal.
// A server still running on the file writes into the WAL it holds, which
// no other process can see; the -shm's index describes that WAL. Opened
// then, SQLite made a new, empty -wal under the server's index: a read of
// a page in the server's WAL failed ("disk I/O error (522)"), others read
// the file without the server's calls, and a write went into a WAL that
// the index and the server's own both claim. With no server left (killed
// after the deletion), what the deleted WAL held since the last checkpoint
// is gone, and the file opened as the whole history without a word.
// Nothing is made, and neither the file nor the -shm is touched.
//
// A running server notices the deletion at its next write or health check
// (ErrJournalGone), checkpoints the WAL it holds into the file, and its
// stop removes the -shm.
func WALGone(path string) error {
	if fi, err := os.Lstat(path + "-shm"); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	if _, err := os.Lstat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%w (%s-wal is missing, %s-shm is there): a server still running on the file writes its calls into the -wal it holds, which no other process can see, "+
		"and opening the file now would read it without them and make a new -wal under that server's -shm, mixing the two, so nothing was made or changed. "+
		"Stop that server (its stop checkpoints the calls its -wal held into the file, then removes the -shm) and run the command again. "+
		"If no server runs (the -wal was deleted after a crash, or the server was killed since), the calls it held since its last checkpoint are lost with it: "+
		"move %s-shm away and run the command again",
		ErrWALGone, path, path, path)
}
