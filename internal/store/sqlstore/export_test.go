package sqlstore

import (
	"context"
	"strings"

	qp "qwenproxy"
)

// OnReencodeEncoding sets fn to run while ReencodeBodies encodes a batch.
func OnReencodeEncoding(s *Store, fn func()) { s.reencodeEncoding = fn }

// OnRedactEncoded sets fn to run between RedactHistory's read of a batch of
// calls and its write.
func OnRedactEncoded(s *Store, fn func()) { s.redactEncoded = fn }

// ConnsInUse is how many of the store's database connections are in use.
func ConnsInUse(s *Store) int {
	n := s.write.Stats().InUse
	if s.read.DB != s.write.DB {
		n += s.read.Stats().InUse
	}
	return n
}

// StatsFromRows is s.Stats read from the calls' rows alone, as one
// session's are: what the rollups must agree with.
func StatsFromRows(ctx context.Context, s *Store, q qp.StatsQuery) (*qp.Stats, error) {
	return s.stats(ctx, q, true)
}

// StatsRowsQuery is the query s.Stats reads one session's or client
// session's calls with (q's), and its arguments.
func StatsRowsQuery(s *Store, q qp.StatsQuery) (string, []any) {
	w := s.callsOf(q)
	return timedCalls + w.sql(), w.args
}

// ErrorTypeCountQuery is the query s.Stats counts q's failed calls by
// their error type with, and its arguments.
func ErrorTypeCountQuery(s *Store, q qp.StatsQuery) (string, []any) {
	return s.errorTypeCountQuery(q)
}

// RequestPageQuery is the statement that chooses a page of the request list
// under f (its ids, where it chooses them first) and its arguments.
func RequestPageQuery(ctx context.Context, s *Store, f qp.CallFilter, o qp.ListOptions) (string, []any, error) {
	q, err := requestPage(ctx, s.read, s.Backend(), f, o)
	if err != nil {
		return "", nil, err
	}
	query, args := choosingQuery(q, o)
	return query, args, nil
}

// ResponsePageQuery is RequestPageQuery's of the response list.
func ResponsePageQuery(ctx context.Context, s *Store, f qp.CallFilter, o qp.ListOptions) (string, []any, error) {
	q, err := responsePage(ctx, s.read, s.Backend(), f, o)
	if err != nil {
		return "", nil, err
	}
	query, args := choosingQuery(q, o)
	return query, args, nil
}

// SessionPageQuery is RequestPageQuery's of the session list.
func SessionPageQuery(ctx context.Context, s *Store, f qp.SessionFilter, o qp.ListOptions) (string, []any, error) {
	q, err := sessionList(ctx, s.read, s.Backend(), s.dialect.SessionSearch, f, o)
	if err != nil {
		return "", nil, err
	}
	query, args := choosingQuery(q, o)
	return query, args, nil
}

// ListRequestsByTheResponses is s.ListRequests with a request's error type
// read as before migration 0039: its id tested against the request ids of
// the responses that ended so. What the list finds must not change.
func ListRequestsByTheResponses(ctx context.Context, s *Store, f qp.CallFilter, o qp.ListOptions) (*qp.ListResult[qp.RequestRecord], error) {
	return s.listRequests(ctx, f, o, func(ctx context.Context, db querier, backend string, f qp.CallFilter, o qp.ListOptions) (listQuery, error) {
		q, err := requestPage(ctx, db, backend, f, o)
		for i, c := range q.where.conds {
			if plus, ok := strings.CutSuffix(c, "q.error_type = ?"); ok && strings.TrimPrefix(plus, "+") == "" {
				q.where.conds[i] = plus + "q.id IN (SELECT request_id FROM responses WHERE error_type = ?)"
			}
		}
		if strings.Contains(q.fastCount, "error_type") {
			q.fastCount = "" // counted by the conditions above
		}
		return q, err
	})
}

// RequestCountQuery is the statement that counts the request list's total
// under f, and its arguments.
func RequestCountQuery(ctx context.Context, s *Store, f qp.CallFilter) (string, []any, error) {
	q, err := requestPage(ctx, s.read, s.Backend(), f, qp.ListOptions{Limit: 50})
	if err != nil {
		return "", nil, err
	}
	if q.fastCount != "" {
		return q.fastCount, q.fastArgs, nil
	}
	return q.countFrom + q.where.sql(), q.where.args, nil
}

// ItemCallQuery is the statement CallWithItem reads an item id's call
// with.
const ItemCallQuery = selectItemCall
