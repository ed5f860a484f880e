package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// ErrWALKept is a store that closed with its WAL not checkpointed into the
// database file (a full disk, another process's reader): the -wal left
// beside the file holds calls the file alone lacks.
var ErrWALKept = errors.New("the WAL could not be checkpointed into the database file as it closed")

// closing is the store's CloseGuard: the guard's last check, then, with
// the files still the ones opened, a checkpoint of the whole WAL into the
// file. SQLite checkpoints and removes the WAL by itself as the last
// connection closes, but says nothing when it cannot (no room for the
// file to grow, a reader on an older snapshot): the file alone, which
// README's Backups calls a backup after a graceful stop, then lacked the
// latest calls or was malformed, and no one knew. What this checkpoint
// finds is said once the connections are closed (closed).
func (g *guard) closing() error {
	if err := g.last(); err != nil {
		return err // the file or its journals went: the check checkpointed what it could
	}
	g.unfinished = checkpointWhole(g.write, g.serving)
	return nil
}

// checkpointWhole copies every frame of db's WAL into the database file and
// truncates the WAL, or says why it could not: SQLite's error (SQLITE_FULL
// on a full disk), or a reader on an older snapshot holding the frames
// after it. Busy with every frame copied leaves only the WAL's reset
// undone: the file is whole. Unless wait, the checkpoint is PASSIVE: no
// reader is waited for nor said, and no writer held off — a command's
// close beside a running server, whose WAL it is and whose stop
// checkpoints it, copies what it can and says only a failure (a full
// disk); a command that closes the file's last connection has SQLite
// checkpoint and remove the WAL after it.
func checkpointWhole(db *sql.DB, wait bool) error {
	mode := "TRUNCATE"
	if !wait {
		mode = "PASSIVE"
	}
	var busy, logged, copied int
	if err := db.QueryRow(`PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &logged, &copied); err != nil {
		return err
	}
	if busy != 0 && copied < logged && wait {
		return fmt.Errorf("busy: another connection reads an older snapshot of it; %d of %d WAL pages copied", max(copied, 0), logged)
	}
	return nil
}

// closed is the store's Closed hook, once no connection holds the file:
// the journals of a file deleted under it go (release), and a WAL the
// close's checkpoint could not complete, still there with frames in it, is
// said (ErrWALKept), with what it means for a copy of the file and how it
// completes. SQLite's own checkpoint at the last close may have done what
// ours could not (the reader gone meanwhile): then the -wal is gone and
// nothing is said.
func (g *guard) closed() error {
	g.release()
	if g.unfinished == nil || len(g.files) == 0 {
		return nil
	}
	path := g.files[0].path
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		return nil
	}
	return fmt.Errorf("%s-wal: %w (%v): %s alone is not whole and a copy of it alone is no backup (it lacks the latest calls, or is malformed); "+
		"keep %s-wal beside it (copy both files, or back up with qwenproxy copy), and the next server or command that opens it, "+
		"with room on the disk and no other reader, completes the checkpoint as it closes",
		path, ErrWALKept, g.unfinished, path, path)
}
