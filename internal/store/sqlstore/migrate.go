package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	qp "qwenproxy"
)

// Migration is one versioned schema step embedded in the binary.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// MigrationStatus tells whether a migration has been applied, and when.
type MigrationStatus struct {
	Migration
	AppliedAt time.Time // zero when pending
	// Unknown is a migration the database has and this binary does not
	// (applied by a newer version; its SQL is not here).
	Unknown bool
	// AppliedAs is the name the database recorded for this version when it
	// is not this migration's: another build (one made between releases,
	// whose migrations were numbered differently) applied another
	// migration under the same number. Empty otherwise.
	AppliedAs string
}

func loadMigrations(files fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		prefix, _, ok := strings.Cut(name, "_")
		if !ok {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", name)
		}
		v, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %q: bad version: %w", name, err)
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`

// Migrate applies every pending migration, each in its own transaction
// together with its version row, and returns how many it applied. It holds
// the backend's migration lock throughout, so that processes starting
// together apply each migration once.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	applied, err := s.migrateLocked(ctx)
	if err != nil {
		return applied, err
	}
	if err := s.backfillRollups(ctx); err != nil {
		return applied, err
	}
	if err := s.backfillMonths(ctx); err != nil {
		return applied, err
	}
	if err := s.backfillTotals(ctx); err != nil {
		return applied, err
	}
	if err := s.backfillKeyRollups(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

func (s *Store) migrateLocked(ctx context.Context) (int, error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	unlock, err := s.dialect.LockMigrations(ctx, conn)
	if err != nil {
		return 0, fmt.Errorf("migrate: lock: %w", err)
	}
	defer unlock()
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	status, err := s.migrationStatus(ctx, conn)
	if err != nil {
		return 0, err
	}
	if err := refuseSchema(status); err != nil {
		return 0, err
	}
	applied := 0
	for _, m := range status {
		if !m.AppliedAt.IsZero() {
			continue
		}
		done, err := s.apply(ctx, conn, m.Migration)
		if err != nil {
			return applied, err
		}
		if done {
			applied++
		}
	}
	return applied, nil
}

// ErrNewerSchema is a database migrated by a newer qwenproxy than this one.
var ErrNewerSchema = qp.ErrNewerSchema

// ErrOtherBuildSchema is a database one of whose migrations is recorded
// under another name than this binary's migration of the same version
// (MigrationStatus.AppliedAs).
var ErrOtherBuildSchema = errors.New("the database was migrated by another build of qwenproxy")

// RefuseSchema fails when status (MigrationStatus) has a migration this
// binary does not embed, or one applied under another name, as Migrate
// does: for a reader that may not migrate.
func RefuseSchema(status []MigrationStatus) error { return refuseSchema(status) }

// refuseSchema fails for a database whose schema is not one this binary
// can take: migrated by another build (refuseOtherBuild) or by a newer
// version (refuseNewerSchema).
func refuseSchema(status []MigrationStatus) error {
	if err := refuseOtherBuild(status); err != nil {
		return err
	}
	return refuseNewerSchema(status)
}

// refuseOtherBuild fails when a version was applied under another name:
// migrations are applied by number, so this binary would take the other
// build's step for its own, skip its own, and fail later in the schema's
// words ("duplicate column name", "no such table") — or not at all until a
// write or a read met the difference.
func refuseOtherBuild(status []MigrationStatus) error {
	for _, m := range status {
		if m.AppliedAs != "" {
			return fmt.Errorf("%w: its migration %d is %s where this one's is %s, so its schema is not this one's; "+
				"run the build that migrated it, or start this one on another database", ErrOtherBuildSchema, m.Version, m.AppliedAs, m.Name)
		}
	}
	return nil
}

// refuseNewerSchema fails when the database has a migration this binary
// does not embed (it was run by a newer version, and this one was put back):
// this one would write rows the newer schema may refuse, beside bodies it
// cannot read, and went on as if nothing were amiss.
func refuseNewerSchema(status []MigrationStatus) error {
	last := 0
	for _, m := range status {
		if !m.Unknown {
			last = max(last, m.Version)
		}
	}
	for _, m := range slices.Backward(status) {
		if m.Unknown {
			return fmt.Errorf("%w: it has migration %d (%s), this one knows up to %d; run that version (or restore the copy kept from before the upgrade)",
				ErrNewerSchema, m.Version, m.Name, last)
		}
	}
	return nil
}

// lastMigration is the version of the last migration in files (0 when
// there are none, or they cannot be read: Migrate says why).
func lastMigration(files fs.FS) int {
	if files == nil {
		return 0
	}
	all, err := loadMigrations(files)
	if err != nil || len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

// checkSchema fails when a newer version migrated the database after this
// one started (the first instance of a rolling upgrade): a start is refused
// for it (refuseNewerSchema), but a running instance went on as ready while
// its writes failed in the schema's own words ("no unique or exclusion
// constraint matching the ON CONFLICT specification") and its calls piled
// up in its spool.
func (s *Store) checkSchema(ctx context.Context) error {
	return s.checkSchemaWith(ctx, s.read)
}

// selectNewerMigration is the newest migration recorded past a version.
const selectNewerMigration = `SELECT version, name FROM schema_migrations WHERE version > ? ORDER BY version DESC LIMIT 1`

// checkSchemaWith is checkSchema read through q: a write transaction's own,
// so that a batch of an instance a newer version migrated under is not
// written (see WriteBatch).
func (s *Store) checkSchemaWith(ctx context.Context, q querier) error {
	if s.schema == 0 {
		return nil
	}
	var version int
	var name string
	err := q.QueryRowContext(ctx, selectNewerMigration, s.schema).Scan(&version, &name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil && s.dialect.UndefinedTable(err):
		return nil // not migrated yet: nothing newer either
	case err != nil:
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	return fmt.Errorf("%w while this one ran: it has migration %d (%s), this one knows up to %d, and its writes may not fit: run that version here too",
		ErrNewerSchema, version, name, s.schema)
}

// apply runs one migration and records it, unless another process applied
// it since the status was read: SQLite has no lock between processes
// around the whole run, but each write transaction holds the file's write
// lock from its start, so the check and the migration are one step.
func (s *Store) apply(ctx context.Context, conn *sql.Conn, m Migration) (bool, error) {
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migration %s: begin: %w", m.Name, err)
	}
	tx := &txn{Tx: sqlTx, rebind: s.dialect.Rebind}
	defer tx.Rollback()
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&done); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if done > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		if s.dialect.MigrationLockTimedOut(err) {
			return false, fmt.Errorf("migration %s: another session holds a table it changes (a long transaction: see pg_stat_activity); "+
				"it gave up waiting rather than stall the calls of instances serving on that table behind it: start again once that session ends: %w", m.Name, err)
		}
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UnixMilli()); err != nil {
		return false, fmt.Errorf("migration %s: record version: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration %s: commit: %w", m.Name, err)
	}
	return true, nil
}

// MigrationStatus lists every embedded migration with its applied time.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	return s.migrationStatus(ctx, s.read.DB)
}

func (s *Store) migrationStatus(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]MigrationStatus, error) {
	all, err := loadMigrations(s.migrations)
	if err != nil {
		return nil, err
	}
	applied := map[int]time.Time{}
	names := map[int]string{}
	rows, err := db.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations`)
	if err != nil && !s.dialect.UndefinedTable(err) {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var v int
			var name string
			var at int64
			if err := rows.Scan(&v, &name, &at); err != nil {
				return nil, fmt.Errorf("scan schema_migrations: %w", err)
			}
			applied[v], names[v] = time.UnixMilli(at), name
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
	}
	out := make([]MigrationStatus, 0, len(all))
	for _, m := range all {
		st := MigrationStatus{Migration: m, AppliedAt: applied[m.Version]}
		if name, ok := names[m.Version]; ok && name != m.Name {
			st.AppliedAs = name
		}
		out = append(out, st)
		delete(names, m.Version)
	}
	for v, name := range names {
		out = append(out, MigrationStatus{Migration: Migration{Version: v, Name: name}, AppliedAt: applied[v], Unknown: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}
