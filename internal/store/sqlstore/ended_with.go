package sqlstore

import (
	"context"
	"fmt"
	"slices"

	qp "qwenproxy"
)

// planEndedWith chooses, on SQLite, how the request list under an error type
// alone (and perhaps a time range), newest first, finds its rows. Left to
// choose, SQLite read the request row of every call that ended so (the ids
// from the failed calls' index, each looked up and sorted: 7,500 of a
// million, 86-118 ms a page). Walking the requests' time index instead and
// testing each id against the failed calls' ids (read from their index
// alone) passes about need × total ÷ n index entries for a page of need of
// the n calls: 7,000 here, a few milliseconds. An error type of few calls
// keeps the lookups, which are then few.
func planEndedWith(ctx context.Context, db querier, q *listQuery, f qp.CallFilter, o qp.ListOptions) error {
	if f.ErrorType == "" || f != (qp.CallFilter{ErrorType: f.ErrorType, Range: f.Range}) || q.sortCol != requestSorts[""] {
		return nil
	}
	walk, err := errorTypeWalkPays(ctx, db, f, o)
	if err != nil || !walk {
		return err
	}
	ended := endedWith("q.")
	for i, c := range q.where.conds {
		if c == ended {
			q.where.conds[i] = "+" + c
		}
	}
	return nil
}

// planEndedWithHashed chooses, on PostgreSQL, how the request list under an
// error type (and perhaps other filters but a session's) finds its page.
// Left to choose, PostgreSQL walked the requests' time index (or the other
// filter's), reading each request's row and looking it up in responses by
// request id to read its error type, in two parallel workers: 51-240 ms a
// page for 7,500 of a million calls on a loaded machine, most of it the
// workers' start (22-55 ms without them). Where the walk pays (as in
// planEndedWith), the page's ids are chosen first (its rows read after) and
// the condition is written so that PostgreSQL cannot make it a join: it
// reads the failed calls' request ids from their partial index once into a
// hash (a hashed SubPlan, which keeps the plan in one process) and walks the
// index of the page's order alone, testing each entry against the hash:
// 4-14 ms. An error type of few calls under the list's other filters keeps
// PostgreSQL's own plan (from the failed calls' index, a few lookups), as
// does a status other than error (no failed call has it: the walk would
// pass every entry of the status's index) and the list's total, which
// PostgreSQL counts as a hash join.
func planEndedWithHashed(ctx context.Context, db querier, q *listQuery, f qp.CallFilter, o qp.ListOptions) error {
	if f.ErrorType == "" || f.SessionID != "" || (f.Status != "" && f.Status != qp.StatusError) {
		return nil
	}
	walk, err := errorTypeWalkPays(ctx, db, f, o)
	if err != nil || !walk {
		return err
	}
	if q.fastCount == "" { // counted by PostgreSQL's own plan
		q.fastCount, q.fastArgs = q.countFrom+q.where.sql(), slices.Clone(q.where.args)
	}
	ended := endedWith("q.")
	for i, c := range q.where.conds {
		if c == ended {
			q.where.conds[i] = "(" + c + ") IS TRUE"
		}
	}
	q.pageFrom = "requests q"
	return nil
}

// errorTypeWalkPays reports whether a walk of the requests in the page's
// order, testing each against the failed calls' ids, passes at most
// walkPays index entries for each call of f's error type a page would read
// instead: about need × m ÷ n entries for a page of need of its n calls
// among the m that f's other filters match (m from call_counts, or counted
// up to denseRows under a key; n counted in the failed calls' index under
// the account, key and model it holds — the model there is the one that
// answered, most often the one asked for).
func errorTypeWalkPays(ctx context.Context, db querier, f qp.CallFilter, o qp.ListOptions) (bool, error) {
	var w where
	w.add("error_type = ?", f.ErrorType)
	if f.Model != "" {
		w.add("model = ?", f.Model)
	}
	if f.Account != "" {
		w.add("account = ?", f.Account)
	}
	if f.APIKeyID != "" {
		w.add("api_key_id = ?", f.APIKeyID)
	}
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM responses`+w.sql(), w.args...).Scan(&n); err != nil {
		return false, fmt.Errorf("list: count the error type's calls: %w", err)
	}
	other := f
	other.ErrorType, other.Range = "", qp.TimeRange{}
	m, err := countCalls(ctx, db, requestCounts, other)
	if err != nil {
		return false, err
	}
	need := int64(o.Offset + o.Limit + 1)
	return n > 0 && need*m/n <= walkPays*n, nil
}

// requestErrorTypeCount is the query of the request list's total under an
// error type, alone or with an account or an API key: its responses counted
// in the failed calls' index, which holds their account and key (migration
// 0033; a call's two rows are written with the same), as a call has one
// response (request_id is unique there). Counted from the requests, each
// request of the type was read (the page and its total took 160-204 ms for
// 7,500 of a million calls), or, walked as planEndedWith walks, every
// request. "" under any other filter.
func requestErrorTypeCount(f qp.CallFilter) (string, []any) {
	if f.ErrorType == "" || f != (qp.CallFilter{ErrorType: f.ErrorType, Account: f.Account, APIKeyID: f.APIKeyID}) {
		return "", nil
	}
	var w where
	w.add("error_type = ?", f.ErrorType)
	if f.Account != "" {
		w.add("account = ?", f.Account)
	}
	if f.APIKeyID != "" {
		w.add("api_key_id = ?", f.APIKeyID)
	}
	return `SELECT COUNT(*) FROM responses` + w.sql(), w.args
}
