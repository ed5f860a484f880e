package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
)

// APIKeys lists the stored keys.
func (s *Store) APIKeys(ctx context.Context) ([]qp.APIKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, hash, admin, created_at, max_concurrent FROM api_keys ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var out []qp.APIKey
	for rows.Next() {
		var k qp.APIKey
		var created int64
		if err := rows.Scan(&k.ID, &k.Name, &k.Hash, &k.Admin, &created, &k.MaxConcurrent); err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
		k.CreatedAt = time.UnixMilli(created)
		out = append(out, k)
	}
	return out, rows.Err()
}

// HasAPIKeys reports whether any key is stored. It reads only what
// migration 0003 made, so it answers before later migrations have run (the
// start's check that a public address has keys comes before them).
func (s *Store) HasAPIKeys(ctx context.Context) (bool, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM api_keys LIMIT 1) k`).Scan(&n); err != nil {
		return false, fmt.Errorf("count api keys: %w", err)
	}
	return n > 0, nil
}

// AddAPIKey stores a key's hash.
func (s *Store) AddAPIKey(ctx context.Context, k qp.APIKey) error {
	if err := checkKeyLimit(k.MaxConcurrent); err != nil {
		return fmt.Errorf("add api key: %w", err)
	}
	if err := s.checkGuard(); err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx, `INSERT INTO api_keys (id, name, hash, admin, created_at, max_concurrent) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, k.Hash, k.Admin, k.CreatedAt.UnixMilli(), k.MaxConcurrent); err != nil {
		return fmt.Errorf("add api key: %w", err)
	}
	return nil
}

// checkKeyLimit refuses a limit on calls in flight the column cannot hold
// (PostgreSQL's INTEGER; SQLite's is held to the same, so that a database
// copies to the other) or a negative one, before the database is asked:
// PostgreSQL's driver said "unable to encode … into binary format for
// int4", SQLite stored it.
func checkKeyLimit(n int) error {
	if !qp.KeyConcurrentInRange(n) {
		return fmt.Errorf("max concurrent calls %d is out of range: 0 (no limit) to %d", n, qp.MaxKeyConcurrent)
	}
	return nil
}

// DeleteAPIKey removes a key, its row erased from the database's files
// (eraseWrite): its hash is no secret, but a revoked key leaves no trace of
// itself behind.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) error {
	return s.eraseWrite(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete api key: %w", err)
		}
		return mustAffect(res, "delete api key", id)
	})
}

// SetAPIKeyLimit sets a key's limit on its calls in flight (0: none).
func (s *Store) SetAPIKeyLimit(ctx context.Context, id string, maxConcurrent int) error {
	if err := checkKeyLimit(maxConcurrent); err != nil {
		return fmt.Errorf("set api key limit: %w", err)
	}
	if err := s.checkGuard(); err != nil {
		return err
	}
	res, err := s.write.ExecContext(ctx, `UPDATE api_keys SET max_concurrent = ? WHERE id = ?`, maxConcurrent, id)
	if err != nil {
		return fmt.Errorf("set api key limit: %w", err)
	}
	return mustAffect(res, "set api key limit", id)
}

// QwenCredentials returns the stored credentials.
func (s *Store) QwenCredentials(ctx context.Context) (*qp.QwenCredentials, error) {
	var c qp.QwenCredentials
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT token, cookies, updated_at FROM qwen_credentials WHERE id = 1`).Scan(&c.Token, &c.Cookies, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	c.UpdatedAt = time.UnixMilli(at)
	return &c, nil
}

// SetQwenCredentials stores credentials, replacing any: the values
// replaced are erased from the database's files (eraseWrite), not left in
// the page's free space, nor in the journal, for a reader of the file.
func (s *Store) SetQwenCredentials(ctx context.Context, c qp.QwenCredentials) error {
	return s.eraseWrite(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO qwen_credentials (id, token, cookies, updated_at) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET token = excluded.token, cookies = excluded.cookies, updated_at = excluded.updated_at`,
			c.Token, c.Cookies, c.UpdatedAt.UnixMilli()); err != nil {
			return fmt.Errorf("store credentials: %w", err)
		}
		return nil
	})
}

// ClearQwenCredentials removes the stored credentials, erased from the
// database's files (eraseWrite). The whole table is deleted, which SQLite
// does by emptying its pages — with secure_delete, zeroing them whole, so
// that the values an earlier write left in their free space go too (a row
// deleted alone has only its own cell zeroed).
func (s *Store) ClearQwenCredentials(ctx context.Context) error {
	return s.eraseWrite(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM qwen_credentials`); err != nil {
			return fmt.Errorf("clear credentials: %w", err)
		}
		return nil
	})
}
