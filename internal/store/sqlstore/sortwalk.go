package sqlstore

import (
	"context"
	"fmt"
	"slices"

	qp "qwenproxy"
)

// walkedSorts are the response list's sorts whose index holds the sort
// column and the row id alone, so that walking it reads no row.
var walkedSorts = map[string]string{
	"r.duration_us":  "idx_responses_duration",
	"r.total_tokens": "idx_responses_total_tokens",
}

// walkPays is how many index entries the walk of planSortWalk may expect to
// pass for each row the sort would read: a row read (with its sort value,
// then sorted) cost some thirty times an index entry passed on a million
// calls, and the walk, passing entries in the sort's order, passes more of
// them where the filter's rows cluster at the far end of that order
// (errors' few tokens, for the most tokens).
const walkPays = 20

// planSortWalk chooses, on SQLite, how the response list sorted by
// duration or tokens reads a filter of fewer than denseRows rows: n rows
// match (of total), the sparsest filter column (or the time range) fewest.
//
// SQLite read that column's index, each row it matched from the table, and
// sorted them: 15-30 µs a row, so a rare model's 22,000 calls or the last
// day's 5,400 took 14-210 ms a page. Walked instead in the sort's index,
// with each entry's id looked up in the set of ids the sparsest column's
// index holds (read from that index alone), a page passes about
// need × total / n entries and reads from the table only the rows in that
// set (for the other columns): a page of 50 of a day's calls passes some
// 10,000 index entries and reads no row. Chosen when that is at most
// walkPays entries for each row the sort would read; the pages are the same
// rows in the same order either way.
//
// where is rewritten: the set's condition first, the other columns written
// +r.col (not looked up by index). The total, when not summed from counts,
// is counted by the filter as it was.
func planSortWalk(q *listQuery, f qp.CallFilter, o qp.ListOptions, n, fewest, total int64, sparsest qp.CallFilter) bool {
	if _, ok := walkedSorts[q.sortCol]; !ok || n <= 0 {
		return false
	}
	need := int64(o.Offset + o.Limit + 1)
	if need*total/n > walkPays*fewest {
		return false
	}
	if q.fastCount == "" {
		q.fastCount, q.fastArgs = q.countFrom+q.where.sql(), q.where.args
	}
	var set, w where
	callFilter(&set, sparsest, "r.", "r.timestamp")
	w.add("+r.id IN (SELECT r.id FROM responses r"+set.sql()+")", set.args...)
	rest := f
	rest.Range = qp.TimeRange{}
	for _, c := range filterColumns(rest) {
		if c != sparsest {
			callFilter(&w, c, "+r.", "+r.timestamp")
		}
	}
	if sparsest.Range != f.Range {
		w.addRange("+r.timestamp", f.Range)
	}
	q.where = w
	return true
}

// rangeIndexed reports whether f is a time range, alone or with one of the
// columns the responses' indexes lead with before their time (model,
// status, finish reason, account, API key): its rows are then counted from one
// index, reading no row.
func rangeIndexed(f qp.CallFilter) bool {
	if f.Range.Start.IsZero() && f.Range.End.IsZero() {
		return false
	}
	columns := 0
	for _, set := range []bool{f.Model != "", f.Status != "", f.FinishReason != "", f.Account != "", f.APIKeyID != ""} {
		if set {
			columns++
		}
	}
	return columns <= 1 && f == (qp.CallFilter{Model: f.Model, Status: f.Status, FinishReason: f.FinishReason, Account: f.Account,
		APIKeyID: f.APIKeyID, Range: f.Range})
}

// rangeRows is how many responses match w (a filter of rangeIndexed),
// counted from its index up to denseRows.
//
// A time range of denseRows or more (alone or with a column) sorted by
// duration or tokens walks the sort's index as a dense filter does (see
// planFilter): the busiest model's 90 days, 125,000 of a million calls,
// took 130-530 ms a page read by the model's index and sorted.
func rangeRows(ctx context.Context, db querier, w where) (int64, error) {
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM responses r`+w.sql()+` LIMIT ?) AS matched`,
		append(slices.Clone(w.args), denseRows)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("list: count the range's rows: %w", err)
	}
	return n, nil
}
