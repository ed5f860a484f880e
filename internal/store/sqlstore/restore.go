package sqlstore

import (
	"context"
	"fmt"
)

// Restored is what RestoreSettings brought into a store.
type Restored struct {
	CopiedSettings
	// Floors are the highest row ids src had given, by table (requests,
	// responses): dst gives none of them again.
	Floors map[string]int64
}

// RestoreSettings brings into dst, a database just made in place of src
// (the save of a file deleted under a server), what the proxy is
// configured with there: its API keys as stored (ids, names, hashes,
// limits; a revoked key is deleted, so it stays revoked), its Qwen
// accounts and stored credentials (see copyKeys), keeping what dst has
// already. And it raises dst's row id floors past src's, so that a call
// made from now on never takes the numeric id of one src holds: a link
// to a call of the old file finds nothing (or, once Copy brought it,
// that call under its new id) rather than a later call. Calls are left
// to Copy, which may take minutes on a large history.
func RestoreSettings(ctx context.Context, src, dst *Store) (Restored, error) {
	var r Restored
	if err := dst.checkGuard(); err != nil {
		return r, err
	}
	copied, err := copyKeys(ctx, src, dst)
	if err != nil {
		return r, err
	}
	r.CopiedSettings = copied
	if r.Floors, err = src.rowIDFloors(ctx); err != nil {
		return r, err
	}
	return r, dst.raiseRowIDFloors(ctx, r.Floors)
}

// rowIDFloors is the highest id s has given a row of each table that
// keeps a floor: its floor or its largest id, whichever is higher.
func (s *Store) rowIDFloors(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(reserveRowIDs))
	for table := range reserveRowIDs {
		var floor int64
		if err := s.read.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT floor FROM row_id_floors WHERE name = ?), 0),
			COALESCE((SELECT MAX(id) FROM `+table+`), 0))`, table).Scan(&floor); err != nil {
			return nil, fmt.Errorf("read the highest %s id: %w", table, err)
		}
		out[table] = floor
	}
	return out, nil
}

// raiseRowIDFloors raises s's floors to at least floors. Only a database
// that gives a deleted row's id again keeps floors (see reserveIDs); on
// PostgreSQL nothing is raised, and RestoreSettings is for SQLite's saves.
func (s *Store) raiseRowIDFloors(ctx context.Context, floors map[string]int64) error {
	if !s.dialect.ReusesRowIDs() {
		return nil
	}
	for table, floor := range floors {
		if _, err := s.write.ExecContext(ctx, `UPDATE row_id_floors SET floor = MAX(floor, ?) WHERE name = ?`, floor, table); err != nil {
			return fmt.Errorf("raise the %s id floor to %d: %w", table, floor, err)
		}
	}
	return nil
}
