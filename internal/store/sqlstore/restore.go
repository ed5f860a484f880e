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
// keeps a floor: its floor or its largest id, whichever is higher. A
// database that never gives an id twice (PostgreSQL) keeps no floor: its
// largest id.
func (s *Store) rowIDFloors(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(reserveRowIDs))
	for table := range reserveRowIDs {
		query, args := `SELECT COALESCE(MAX(id), 0) FROM `+table, []any{}
		if s.dialect.ReusesRowIDs() {
			query, args = `SELECT MAX(COALESCE((SELECT floor FROM row_id_floors WHERE name = ?), 0),
			COALESCE((SELECT MAX(id) FROM `+table+`), 0))`, []any{table}
		}
		var floor int64
		if err := s.read.QueryRowContext(ctx, query, args...).Scan(&floor); err != nil {
			return nil, fmt.Errorf("read the highest %s id: %w", table, err)
		}
		out[table] = floor
	}
	return out, nil
}

// raiseFloorsPast raises dst's row id floors past the highest ids src has
// given, where dst would give an id twice (SQLite): a copy renumbers the
// calls it brings, and dst gave the next new call the id that src's copied
// call had — the one the links to it name — whichever command had made
// dst's file (only one made beside a save took the save's floors).
func raiseFloorsPast(ctx context.Context, src, dst *Store) error {
	if !dst.dialect.ReusesRowIDs() {
		return nil
	}
	floors, err := src.rowIDFloors(ctx)
	if err != nil {
		return err
	}
	return dst.raiseRowIDFloors(ctx, floors)
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
