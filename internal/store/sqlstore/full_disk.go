package sqlstore

import (
	"context"
	"database/sql"
)

// JournalKeeper is implemented by dialects whose journal takes room on the
// disk beside the database and gives it back only at a checkpoint (SQLite's
// WAL, which grows to wal_autocheckpoint's ~40 MB before one). Without it a
// disk with less room than that was filled by the WAL, not by the history:
// with a commit per call, 29 calls filled 8 MB of WAL whose pages took
// 0.7 MB in the file, and then no checkpoint could run (it needs room for
// the file to grow), so every later call waited in memory until the stop
// dropped it.
type JournalKeeper interface {
	// JournalCrowded reports whether the journal may outgrow the room left
	// on the disk before it is checkpointed by itself.
	JournalCrowded() bool
	// CheckpointJournal moves the journal's pages into the database, so
	// that it is written again from its start, without waiting for
	// readers (whose pages stay in it until a later one).
	CheckpointJournal(ctx context.Context, db *sql.DB) error
}

// checkpointIfCrowded checkpoints, after a batch is written, a journal that
// a low disk could not let grow much more. Its error is not the batch's,
// which is written: a checkpoint that cannot complete is tried again after
// the next batch.
func (s *Store) checkpointIfCrowded(ctx context.Context) {
	if k, ok := s.dialect.(JournalKeeper); ok && k.JournalCrowded() {
		k.CheckpointJournal(ctx, s.write.DB)
	}
}
