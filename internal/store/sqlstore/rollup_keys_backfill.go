package sqlstore

import (
	"context"
	"fmt"
)

// backfillKeyRollups builds the rollups per API key (migration 0026) from
// the calls made with a key, once: when they are empty and such a call
// exists. Like backfillMonths it runs under the rollup lock before the
// store writes, in one transaction, so that a start cut short leaves them
// empty and the next start builds them again. Its memory stays bounded
// whatever the history's size: it reads the calls an hour at a time (the
// hours themselves from the responses' index on the key and time), then
// rebuilds each day and month from the rows just written.
func (s *Store) backfillKeyRollups(ctx context.Context) error {
	tx, err := s.beginLocked(ctx)
	if err != nil {
		return fmt.Errorf("backfill rollups by key: %w", err)
	}
	defer tx.Rollback()
	var built, keyed int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM `+keyHourlyRollups+` LIMIT 1) AS any_rollup),
		(SELECT COUNT(*) FROM (SELECT 1 FROM responses WHERE api_key_id IS NOT NULL LIMIT 1) AS any_call)`).Scan(&built, &keyed); err != nil {
		return fmt.Errorf("backfill rollups by key: %w", err)
	}
	if built > 0 || keyed == 0 {
		return nil
	}
	hours, err := bucketsWhere(ctx, tx, "WHERE api_key_id IS NOT NULL")
	if err != nil {
		return fmt.Errorf("backfill rollups by key: %w", err)
	}
	if err := rebuildHours(ctx, tx, hours, byKey); err != nil {
		return fmt.Errorf("backfill rollups by key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("backfill rollups by key: %w", err)
	}
	return nil
}
