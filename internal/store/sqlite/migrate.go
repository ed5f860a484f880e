package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

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
}

func loadMigrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
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
		body, err := fs.ReadFile(migrationFiles, "migrations/"+name)
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
  applied_at INTEGER NOT NULL
)`

// Migrate applies every pending migration, each in its own transaction
// together with its version row, and returns how many it applied.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	if _, err := s.write.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	status, err := s.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, m := range status {
		if !m.AppliedAt.IsZero() {
			continue
		}
		if err := s.apply(ctx, m.Migration); err != nil {
			return applied, err
		}
		applied++
	}
	if err := s.backfillRollups(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

func (s *Store) apply(ctx context.Context, m Migration) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: begin: %w", m.Name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("migration %s: record version: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.Name, err)
	}
	return nil
}

// MigrationStatus lists every embedded migration with its applied time.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	all, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	applied := map[int]time.Time{}
	rows, err := s.read.QueryContext(ctx, `SELECT version, applied_at FROM schema_migrations`)
	if err != nil && !isNoSuchTable(err) {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var v int
			var at int64
			if err := rows.Scan(&v, &at); err != nil {
				return nil, fmt.Errorf("scan schema_migrations: %w", err)
			}
			applied[v] = time.UnixMilli(at)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
	}
	out := make([]MigrationStatus, len(all))
	for i, m := range all {
		out[i] = MigrationStatus{Migration: m, AppliedAt: applied[m.Version]}
	}
	return out, nil
}

func isNoSuchTable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such table")
}
