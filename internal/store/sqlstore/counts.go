package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

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

// upsertRequestHour adds to the requests begun in an hour (migration 0022).
const upsertRequestHour = `INSERT INTO request_hours (bucket, calls) VALUES (?, ?)
	ON CONFLICT (bucket) DO UPDATE SET calls = request_hours.calls + excluded.calls`

// upsertRequestModelHour adds to the requests of a model (the model asked
// for) begun in an hour (migration 0023).
const upsertRequestModelHour = `INSERT INTO request_model_hours (model, bucket, calls) VALUES (?, ?, ?)
	ON CONFLICT (model, bucket) DO UPDATE SET calls = request_model_hours.calls + excluded.calls`

// requestHours counts requests by the hour they began (request_hours), by
// model and hour (request_model_hours), and those made with an API key by
// key, hour or day, model, account and status (request_key_hours and
// request_key_days).
type requestHours struct {
	all     map[int64]int64
	ofModel map[modelHour]int64
	ofKey   map[keyRequests]int64
}

// keyRequests is one row of request_key_hours or (days) request_key_days.
type keyRequests struct {
	days                           bool
	apiKey, model, account, status string
	bucket                         int64
}

type modelHour struct {
	model  string
	bucket int64
}

func newRequestHours() requestHours {
	return requestHours{all: map[int64]int64{}, ofModel: map[modelHour]int64{}, ofKey: map[keyRequests]int64{}}
}

// add counts n requests of model begun at ts (Unix ms), made with apiKey
// ("" for none) for account, that ended with status.
func (h requestHours) add(model, account, status, apiKey string, ts, n int64) {
	b := hourOf(ts)
	h.all[b] += n
	h.ofModel[modelHour{model, b}] += n
	if apiKey != "" {
		h.ofKey[keyRequests{false, apiKey, model, account, status, b}] += n
		h.ofKey[keyRequests{true, apiKey, model, account, status, dayOf(ts)}] += n
	}
}

// addCounts counts the calls a batch wrote, as their rows hold them (see
// insertExchanges), in call_counts, and their requests by the hour they
// began in request_hours and request_model_hours.
func addCounts(ctx context.Context, tx *txn, written []qp.Exchange) error {
	counts, hours := map[countKey]int64{}, newRequestHours()
	for i := range written {
		rq, rs := &written[i].Request, &written[i].Response
		k := countKey{requestCounts, rq.Model, rq.Account, rs.Status, rq.Stream, rs.FinishReason}
		counts[k]++
		k.list, k.model = responseCounts, written[i].AnsweringModel()
		counts[k]++
		hours.add(rq.Model, rq.Account, rs.Status, rq.APIKeyID, rq.Timestamp.UnixMilli(), 1)
	}
	if err := changeCounts(ctx, tx, counts); err != nil {
		return err
	}
	return changeRequestHours(ctx, tx, hours)
}

// subtractCounts takes the calls about to be deleted, the requests q (with
// their responses r) matching cond, from call_counts and the requests'
// counts by hour (and by key).
func subtractCounts(ctx context.Context, tx *txn, cond string, args ...any) error {
	rows, err := tx.QueryContext(ctx, `SELECT q.model, COALESCE(q.account, ''), q.status, q.stream, COALESCE(q.finish_reason, ''), q.timestamp, COALESCE(q.api_key_id, ''),
		r.model, COALESCE(r.account, ''), r.status, r.stream, COALESCE(r.finish_reason, '')
		FROM requests q LEFT JOIN responses r ON r.request_id = q.id WHERE `+cond, args...)
	if err != nil {
		return fmt.Errorf("count deleted calls: %w", err)
	}
	counts, hours := map[countKey]int64{}, newRequestHours()
	for rows.Next() {
		q, r := countKey{list: requestCounts}, countKey{list: responseCounts}
		var began int64
		var apiKey string
		var rModel, rAccount, rStatus, rFinish *string
		var rStream *bool
		if err := rows.Scan(&q.model, &q.account, &q.status, &q.stream, &q.finishReason, &began, &apiKey, &rModel, &rAccount, &rStatus, &rStream, &rFinish); err != nil {
			rows.Close()
			return fmt.Errorf("count deleted calls: %w", err)
		}
		counts[q]--
		hours.add(q.model, q.account, q.status, apiKey, began, -1)
		if rModel != nil { // a request with no response counts in one list
			r.model, r.account, r.status, r.stream, r.finishReason = *rModel, *rAccount, *rStatus, *rStream, *rFinish
			counts[r]--
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count deleted calls: %w", err)
	}
	if err := changeCounts(ctx, tx, counts); err != nil {
		return err
	}
	return changeRequestHours(ctx, tx, hours)
}

func changeRequestHours(ctx context.Context, tx *txn, hours requestHours) error {
	for b, n := range hours.all {
		if _, err := tx.ExecContext(ctx, upsertRequestHour, b, n); err != nil {
			return fmt.Errorf("count requests by the hour: %w", err)
		}
	}
	for k, n := range hours.ofModel {
		if _, err := tx.ExecContext(ctx, upsertRequestModelHour, k.model, k.bucket, n); err != nil {
			return fmt.Errorf("count requests by model and hour: %w", err)
		}
	}
	// In one order (hours before days, then by key, hour, model, account
	// and status): writers of the same keys' rows on PostgreSQL take them
	// in the same order, and wait for each other rather than deadlock.
	keys := slices.SortedFunc(maps.Keys(hours.ofKey), func(a, b keyRequests) int {
		if a.days != b.days {
			return cmp.Compare(boolInt(a.days), boolInt(b.days))
		}
		return cmp.Or(strings.Compare(a.apiKey, b.apiKey), cmp.Compare(a.bucket, b.bucket), strings.Compare(a.model, b.model),
			strings.Compare(a.account, b.account), strings.Compare(a.status, b.status))
	})
	for _, k := range keys {
		n := hours.ofKey[k]
		table := keyRequestCounts.hourly
		if k.days {
			table = keyRequestCounts.daily
		}
		args := []any{k.apiKey, k.bucket, k.model, k.account, k.status}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (api_key_id, bucket, model, account, status, calls) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (api_key_id, bucket, model, account, status) DO UPDATE SET calls = `+table+`.calls + excluded.calls`, append(args, n)...); err != nil {
			return fmt.Errorf("count requests by API key: %w", err)
		}
		if n >= 0 {
			continue
		}
		// A row deleted calls bring to zero goes: the rows stay as many as
		// the calls held at most, however many hours retention passes.
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE api_key_id = ? AND bucket = ? AND model = ? AND account = ? AND status = ? AND calls = 0`,
			args...); err != nil {
			return fmt.Errorf("count requests by API key: %w", err)
		}
	}
	return nil
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
// session, a client's session, an API key, an error type, a time range).
//
// The request list under the model that answered is counted from the
// response list's counts: a call's two rows count with the same account,
// status, stream and finish reason, the response's by the model that
// answered, and a request with no response was answered by no model. Under
// the model asked for as well, which call_counts does not keep together
// with it, its rows are counted.
func countQuery(list string, f qp.CallFilter) (string, []any) {
	if f.SessionID != "" || f.ClientSessionID != "" || f.APIKeyID != "" || f.ErrorType != "" || !f.Range.Start.IsZero() || !f.Range.End.IsZero() {
		return "", nil
	}
	var w where
	if list == requestCounts && f.ResponseModel != "" {
		if f.Model != "" {
			callFilter(&w, f, "q.", "q.timestamp")
			return "SELECT COUNT(*) FROM requests q" + w.sql(), w.args
		}
		list, f.Model, f.ResponseModel = responseCounts, f.ResponseModel, ""
	}
	w.add("list = ?", list)
	if f.Model != "" {
		w.add("model = ?", f.Model)
	}
	if f.ResponseModel != "" { // the response list's, given as well as a different model
		w.add("model = ?", f.ResponseModel)
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

// requestRangeCount is the query of the request list's total under a time
// range alone, summed from request_hours over the range's whole hours, or
// under a range and a model from request_model_hours, plus the rows of the
// partial hours at its ends: counting 90 days' rows of a million calls took
// 15-53 ms, the busiest model's 7-15 ms (SQLite) and 84-377 ms (PostgreSQL).
// "" under any other filter (counted from call_counts without a range, from
// the rows with one) or within one hour.
func requestRangeCount(f qp.CallFilter) (string, []any) {
	if (f != qp.CallFilter{Model: f.Model, Range: f.Range}) || (f.Range.Start.IsZero() && f.Range.End.IsZero()) {
		return "", nil
	}
	from, to, ok := wholeHours(f.Range)
	if !ok {
		return "", nil
	}
	parts := []string{"COALESCE((SELECT SUM(calls) FROM request_hours WHERE bucket >= ? AND bucket < ?), 0)"}
	args := []any{from, to}
	if f.Model != "" {
		parts[0] = "COALESCE((SELECT SUM(calls) FROM request_model_hours WHERE model = ? AND bucket >= ? AND bucket < ?), 0)"
		args = []any{f.Model, from, to}
	}
	edge := func(r qp.TimeRange) {
		var w where
		callFilter(&w, qp.CallFilter{Model: f.Model, Range: r}, "q.", "q.timestamp")
		parts = append(parts, "(SELECT COUNT(*) FROM requests q"+w.sql()+")")
		args = append(args, w.args...)
	}
	partialHours(f.Range, from, to, edge)
	// PostgreSQL sums a BIGINT as NUMERIC: cast back.
	return "SELECT CAST(" + strings.Join(parts, " + ") + " AS BIGINT)", args
}

// responseRangeCount is the query of the response list's total under a
// time range, summed from the rollups (which count responses by the hour,
// day and month they ended, that is by their timestamp, the model that
// answered, the account and errors) over the range's whole hours (their
// hours' and days' totals under no model and no account), plus the rows of
// the partial hours at its ends: counting 90 days' rows of a million calls
// took 13-81 ms. Under an API key, with a range or without, from the
// rollups per key (migration 0026), which count its responses alike:
// counting the key's entries in its index took 37-281 ms for the key of half
// of a million calls. "" when the filter uses what the rollups do
// not keep (a session, stream, finish reason, any filter but those four),
// under no range and no key (call_counts serves it) or when the range lies
// within one hour.
func responseRangeCount(f qp.CallFilter) (string, []any) {
	if (f != qp.CallFilter{Model: f.Model, Account: f.Account, Status: f.Status, APIKeyID: f.APIKeyID, Range: f.Range}) ||
		(f.APIKeyID == "" && f.Range.Start.IsZero() && f.Range.End.IsZero()) {
		return "", nil
	}
	sum := map[string]string{"": "requests", qp.StatusError: "errors", qp.StatusSuccess: "requests - errors"}[f.Status]
	if sum == "" {
		return "", nil
	}
	from, to, ok := wholeHours(f.Range)
	if !ok {
		return "", nil
	}
	var parts []string
	var args []any
	for _, span := range rollupSpans(from, to, "", rollupsFor(f.APIKeyID)) {
		var w where
		if f.APIKeyID != "" {
			w.add("api_key_id = ?", f.APIKeyID)
		}
		w.add("bucket >= ? AND bucket < ?", span.from, span.to)
		if f.Model != "" {
			w.add("model = ?", f.Model)
		}
		if f.Account != "" {
			w.add("account = ?", f.Account)
		}
		table := span.table
		if totals := totalsOf(table); totals != "" && f.Model == "" && f.Account == "" {
			// A row an hour or a day, where the rollups have one a model
			// and account.
			table = totals
		}
		parts = append(parts, "COALESCE((SELECT SUM("+sum+") FROM "+table+w.sql()+"), 0)")
		args = append(args, w.args...)
	}
	edge := func(r qp.TimeRange) {
		var w where
		edge := f
		edge.Range = r
		callFilter(&w, edge, "r.", "r.timestamp")
		parts = append(parts, "(SELECT COUNT(*) FROM responses r"+w.sql()+")")
		args = append(args, w.args...)
	}
	partialHours(f.Range, from, to, edge)
	// PostgreSQL sums a BIGINT as NUMERIC: cast back.
	return "SELECT CAST(" + strings.Join(parts, " + ") + " AS BIGINT)", args
}

// wholeHours is the span of whole hours r covers, in Unix ms (open ends
// reach as far as Stats reads all time); ok is false when r lies within one
// hour.
func wholeHours(r qp.TimeRange) (from, to int64, ok bool) {
	from, to = 0, 1<<62
	if !r.Start.IsZero() {
		from = ceilHour(r.Start.UnixMilli())
	}
	if !r.End.IsZero() {
		to = hourOf(r.End.UnixMilli())
	}
	return from, to, from < to
}

// partialHours calls edge with the parts of r before and after its whole
// hours [from, to), where there are any.
func partialHours(r qp.TimeRange, from, to int64, edge func(qp.TimeRange)) {
	if !r.Start.IsZero() && r.Start.UnixMilli() < from {
		edge(qp.TimeRange{Start: r.Start, End: time.UnixMilli(from)})
	}
	if !r.End.IsZero() && to < r.End.UnixMilli() {
		edge(qp.TimeRange{Start: time.UnixMilli(to), End: r.End})
	}
}
