package sqlstore

import (
	"context"
	"fmt"

	qp "qwenproxy"
)

// The lists call_counts (migration 0017) counts: the request list's model
// is the model asked for, the response list's the model that answered.
const (
	requestCounts  = "requests"
	responseCounts = "responses"
)

// countKey is one row of call_counts.
type countKey struct {
	list, model, account, status string
	stream                       bool
	finishReason                 string
}

const upsertCount = `INSERT INTO call_counts (list, model, account, status, stream, finish_reason, calls) VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (list, model, account, status, stream, finish_reason) DO UPDATE SET calls = call_counts.calls + excluded.calls`

// addCounts counts the calls a batch wrote, as their rows hold them (see
// insertExchanges), in call_counts.
func addCounts(ctx context.Context, tx *txn, written []qp.Exchange) error {
	counts := map[countKey]int64{}
	for i := range written {
		rq, rs := &written[i].Request, &written[i].Response
		k := countKey{requestCounts, rq.Model, rq.Account, rs.Status, rq.Stream, rs.FinishReason}
		counts[k]++
		k.list, k.model = responseCounts, written[i].AnsweringModel()
		counts[k]++
	}
	return changeCounts(ctx, tx, counts)
}

// subtractCounts takes the calls about to be deleted, the requests q (with
// their responses r) matching cond, from call_counts.
func subtractCounts(ctx context.Context, tx *txn, cond string, args ...any) error {
	rows, err := tx.QueryContext(ctx, `SELECT q.model, COALESCE(q.account, ''), q.status, q.stream, COALESCE(q.finish_reason, ''),
		r.model, COALESCE(r.account, ''), r.status, r.stream, COALESCE(r.finish_reason, '')
		FROM requests q LEFT JOIN responses r ON r.request_id = q.id WHERE `+cond, args...)
	if err != nil {
		return fmt.Errorf("count deleted calls: %w", err)
	}
	counts := map[countKey]int64{}
	for rows.Next() {
		q, r := countKey{list: requestCounts}, countKey{list: responseCounts}
		var rModel, rAccount, rStatus, rFinish *string
		var rStream *bool
		if err := rows.Scan(&q.model, &q.account, &q.status, &q.stream, &q.finishReason, &rModel, &rAccount, &rStatus, &rStream, &rFinish); err != nil {
			rows.Close()
			return fmt.Errorf("count deleted calls: %w", err)
		}
		counts[q]--
		if rModel != nil { // a request with no response counts in one list
			r.model, r.account, r.status, r.stream, r.finishReason = *rModel, *rAccount, *rStatus, *rStream, *rFinish
			counts[r]--
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count deleted calls: %w", err)
	}
	return changeCounts(ctx, tx, counts)
}

func changeCounts(ctx context.Context, tx *txn, counts map[countKey]int64) error {
	for k, n := range counts {
		if _, err := tx.ExecContext(ctx, upsertCount, k.list, k.model, k.account, k.status, k.stream, k.finishReason, n); err != nil {
			return fmt.Errorf("count calls: %w", err)
		}
	}
	return nil
}

// countQuery is the query of a list's total from call_counts for a call
// filter, or "" when the filter uses what call_counts does not keep (a
// session, a time range).
func countQuery(list string, f qp.CallFilter) (string, []any) {
	if f.SessionID != "" || !f.Range.Start.IsZero() || !f.Range.End.IsZero() {
		return "", nil
	}
	var w where
	w.add("list = ?", list)
	if f.Model != "" {
		w.add("model = ?", f.Model)
	}
	if f.Account != "" {
		w.add("account = ?", f.Account)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Stream != nil {
		w.add("stream = ?", *f.Stream)
	}
	if f.FinishReason != "" {
		w.add("finish_reason = ?", f.FinishReason)
	}
	// PostgreSQL sums a BIGINT as NUMERIC: cast back.
	return "SELECT CAST(COALESCE(SUM(calls), 0) AS BIGINT) FROM call_counts" + w.sql(), w.args
}
