package sqlstore

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotErased says copies of what was deleted or overwritten may still be
// in the database's files: the erasure could not be completed (on SQLite, a
// process reading or writing the file held it past the busy timeout — a
// server beside the command — or the disk had no room to rebuild it).
var ErrNotErased = errors.New("not erased from the database's files")

// EraseFreedSpace rewrites the database so that nothing deleted or
// overwritten before stays readable in its files, whoever freed it: on
// SQLite the rows' old versions that ordinary writes (a server's, without
// secure_delete) left in the free space of live pages, which no delete
// reaches; the file is rebuilt (VACUUM) and its WAL truncated. erased is
// false where the backend cannot (PostgreSQL: old row versions stay in the
// tables' pages until a vacuum, see Dialect.EraseFreed). An error wrapping
// ErrNotErased says the erasure was not completed and why.
func (s *Store) EraseFreedSpace(ctx context.Context) (erased bool, err error) {
	if err := s.checkGuard(); err != nil {
		return false, err
	}
	erased, err = s.dialect.EraseFreed(ctx, s.write.DB)
	if err != nil {
		return false, fmt.Errorf("erase freed space: %w", err)
	}
	return erased, nil
}

// eraseWrite runs write in a transaction whose deletes and overwrites are
// erased from the file (Dialect.EraseDeleted), then empties the journal,
// which kept the pages as they were before (Dialect.TruncateJournal): what
// a command removes or replaces of a secret is then in neither file. The
// write is committed even when the journal cannot be emptied: the error,
// wrapping ErrNotErased, says so.
func (s *Store) eraseWrite(ctx context.Context, write func(tx *txn) error) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.dialect.EraseDeleted(ctx, tx.Tx); err != nil {
		return fmt.Errorf("erase what is deleted: %w", err)
	}
	if err := write(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return s.dialect.TruncateJournal(ctx, s.write.DB)
}
