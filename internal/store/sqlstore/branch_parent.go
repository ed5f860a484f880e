package sqlstore

import (
	"context"
	"fmt"
)

// maxBranchChain bounds the rounds of reparentBranches: each moves a
// branch one session up a chain of sessions deleted together (retention
// deletes every session left without calls at once). Chains are short;
// rows edited by hand into a loop would never end.
const maxBranchChain = 100

// reparentBranches gives the branches of the sessions a delete is about to
// take (doomed: a condition on the session p, with args) the session each
// of those branched off from (none when it had none) — up a chain of them, to the
// first session kept — in the delete's transaction, before it. A branch
// naming a session that is gone would take a later session of that id (a
// client's X-Session-Id, another conversation) for its origin, and an
// X-Session-Id naming the deleted one's origin would no longer name it. Only
// branch rows are read (sessions_branched_from, migration 0045).
func reparentBranches(ctx context.Context, tx *txn, doomed string, args ...any) error {
	const doomedParent = ` FROM sessions p WHERE p.id = sessions.branched_from AND `
	up := `UPDATE sessions SET branched_from = (SELECT p.branched_from` + doomedParent + doomed + `)
		WHERE branched_from <> '' AND EXISTS (SELECT 1` + doomedParent + doomed + `)`
	for range maxBranchChain {
		res, err := tx.ExecContext(ctx, up, append(append([]any(nil), args...), args...)...)
		if err != nil {
			return fmt.Errorf("branches of deleted sessions: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("branches of deleted sessions: %w", err)
		} else if n == 0 {
			return nil
		}
	}
	// A loop: what they branched off from is not known.
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET branched_from = ''
		WHERE branched_from <> '' AND EXISTS (SELECT 1`+doomedParent+doomed+`)`, args...); err != nil {
		return fmt.Errorf("branches of deleted sessions: %w", err)
	}
	return nil
}
