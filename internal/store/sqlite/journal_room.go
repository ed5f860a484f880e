package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"

	"qwenproxy/internal/diskroom"
)

// walCheckpointBytes is about how large the WAL grows before SQLite
// checkpoints it by itself (wal_autocheckpoint, in pages of the file's size).
const walCheckpointBytes = 40 << 20

// crowdedWALBytes is the WAL's size from which, on a disk with less room
// than walCheckpointBytes, it is checkpointed after each batch: small
// enough to leave a few megabytes' disk most of its room, large enough that
// a batch of a few calls does not pay a checkpoint each.
const crowdedWALBytes = 1 << 20

// JournalCrowded says the WAL, once past crowdedWALBytes, could fill the
// disk before SQLite's own checkpoint at walCheckpointBytes: the room left
// is less than that. The WAL holds every page a commit touched (indexes,
// rollups) once per commit, many times the history's own growth, so on a
// nearly full disk it, not the history, took the last of the room. Two
// stats per batch; the file system is asked only once the WAL is that large.
func (d dialect) JournalCrowded() bool {
	if d.path == "" {
		return false
	}
	wal, err := os.Stat(d.path + "-wal")
	if err != nil || wal.Size() < crowdedWALBytes {
		return false
	}
	free, err := diskroom.Free(filepath.Dir(d.path))
	return err == nil && free < walCheckpointBytes
}

// CheckpointJournal checkpoints the WAL into the file passively: pages
// readers still need stay in the WAL, and the writer never waits for them.
// Once all of it is in the file, the next commit writes the WAL from its
// start instead of growing it.
func (dialect) CheckpointJournal(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
	return err
}
