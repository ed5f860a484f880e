package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	qp "qwenproxy"
)

// errorTypeCounts counts the failed calls q selects by their error type,
// most first, from the partial index of failed calls
// (idx_responses_error_type: error type, then time), which holds them
// alone, so the rollups need not keep a count a call for a column nearly
// every call leaves empty.
//
// The error types are found by skipping through the index (a seek for
// each type there is, 14 at most), and each one's calls of q's range are
// counted as a range of its entries: the count reads as many entries as
// calls of the range failed, and the model, account and key of each (migration 0033),
// so that no row is read. Grouped in one scan instead (GROUP BY
// error_type), SQLite read each call of the range by its time index (the
// Overview asks for 14 to 37 ranges a load: a week's took 374 ms at a
// million calls), and under a model, an account or a key each of their
// calls' rows (a quarter of a million for one of four models: 0.2-0.6 s).
func (s *Store) errorTypeCounts(ctx context.Context, q qp.StatsQuery) ([]qp.ErrorTypeCount, error) {
	query, args := s.errorTypeCountQuery(q)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("count calls by error type: %w", err)
	}
	defer rows.Close()
	out := []qp.ErrorTypeCount{}
	for rows.Next() {
		var c qp.ErrorTypeCount
		if err := rows.Scan(&c.ErrorType, &c.Calls); err != nil {
			return nil, fmt.Errorf("count calls by error type: %w", err)
		}
		if c.Calls > 0 {
			out = append(out, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count calls by error type: %w", err)
	}
	slices.SortFunc(out, func(a, b qp.ErrorTypeCount) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), strings.Compare(a.ErrorType, b.ErrorType))
	})
	return out, nil
}

// errorTypeCountQuery is the query of errorTypeCounts: its rows are error
// types and their counts, in no order.
func (s *Store) errorTypeCountQuery(q qp.StatsQuery) (string, []any) {
	var w where
	if ofSession(q) {
		// A session's calls are few, and a client session's: its index
		// reads them, grouped.
		w = s.callsOf(q)
		w.add("error_type IS NOT NULL")
		return `SELECT error_type, COUNT(*) FROM responses` + w.sql() + ` GROUP BY error_type`, w.args
	}
	w.add("e.error_type = types.error_type")
	// On SQLite, which keeps no statistics of its indexes, a model's, an
	// account's or a key's index looks as good as the failed calls' (an
	// equality and a time range each): the unary + leaves it aside, so
	// that only the failed calls' rows are read and checked.
	filter := "e."
	if s.dialect.Name() == "sqlite" {
		filter = "+e."
	}
	if q.Model != "" {
		w.add(filter+"model = ?", q.Model)
	}
	if q.Account != "" {
		w.add(filter+"account = ?", q.Account)
	}
	if q.APIKeyID != "" {
		w.add(filter+"api_key_id = ?", q.APIKeyID)
	}
	w.addRange("e.timestamp", q.Range)
	return `WITH RECURSIVE types(error_type) AS (
		SELECT MIN(error_type) FROM responses WHERE error_type IS NOT NULL
		UNION ALL
		SELECT (SELECT MIN(n.error_type) FROM responses n WHERE n.error_type > types.error_type)
		FROM types WHERE types.error_type IS NOT NULL)
	SELECT error_type, (SELECT COUNT(*) FROM responses e` + w.sql() + `)
	FROM types WHERE error_type IS NOT NULL`, w.args
}
