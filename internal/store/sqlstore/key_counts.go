package sqlstore

import (
	"strings"

	qp "qwenproxy"
)

// keyRequestCounts are the tables of requests counted per API key by hour
// and by day (migration 0027), whose spans of a range are found as the
// rollups' are (rollupSpans, by day: there are no months).
var keyRequestCounts = rollupSet{hourly: "request_key_hours", daily: "request_key_days", perKey: true}

// requestKeyCount is the query of the request list's total under an API
// key, alone or with a model (asked for), an account, a status and a time
// range: summed from request_key_days over the range's whole days (all
// time without one), from request_key_hours over the whole hours at either
// end, plus the rows of the partial hours at its ends (migration 0027).
// Counting the key's entries in its index took 37-281 ms for the key of half
// of a million calls. "" under any other filter (a session, the model that
// answered, stream, finish reason: counted from the rows) or a range
// within one hour.
func requestKeyCount(f qp.CallFilter) (string, []any) {
	if f.APIKeyID == "" || (f != qp.CallFilter{APIKeyID: f.APIKeyID, Model: f.Model, Account: f.Account, Status: f.Status, Range: f.Range}) {
		return "", nil
	}
	from, to, ok := wholeHours(f.Range)
	if !ok {
		return "", nil
	}
	var parts []string
	var args []any
	// Hours at either end, whole days between, as the rollups are read.
	for _, span := range rollupSpans(from, to, "day", keyRequestCounts) {
		var w where
		w.add("api_key_id = ?", f.APIKeyID)
		w.add("bucket >= ? AND bucket < ?", span.from, span.to)
		if f.Model != "" {
			w.add("model = ?", f.Model)
		}
		if f.Account != "" {
			w.add("account = ?", f.Account)
		}
		if f.Status != "" {
			w.add("status = ?", f.Status)
		}
		parts = append(parts, "COALESCE((SELECT SUM(calls) FROM "+span.table+w.sql()+"), 0)")
		args = append(args, w.args...)
	}
	partialHours(f.Range, from, to, func(r qp.TimeRange) {
		var w where
		edge := f
		edge.Range = r
		callFilter(&w, edge, "q.", "q.timestamp")
		parts = append(parts, "(SELECT COUNT(*) FROM requests q"+w.sql()+")")
		args = append(args, w.args...)
	})
	// PostgreSQL sums a BIGINT as NUMERIC: cast back.
	return "SELECT CAST(" + strings.Join(parts, " + ") + " AS BIGINT)", args
}
