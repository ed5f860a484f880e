package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	qp "qwenproxy"
)

// where collects parameterised conditions.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func (w *where) addRange(col string, r qp.TimeRange) {
	if !r.Start.IsZero() {
		w.add(col+" >= ?", r.Start.UnixMilli())
	}
	if !r.End.IsZero() {
		w.add(col+" < ?", r.End.UnixMilli())
	}
}

// listQuery is one keyset- or offset-paged list. Sort columns come from a
// whitelist in the caller, never from the client's text.
type listQuery struct {
	selectFrom string // SELECT … FROM … [JOIN …]
	countFrom  string // SELECT COUNT(*) FROM … [JOIN …]
	where      where
	sortCol    string
	idCol      string
	// fastCount, when set, counts the same rows faster: from call_counts
	// (counting a filter's rows one by one took up to 0.6 s at a million
	// calls; call_counts' few thousand rows, well under 1 ms), from the
	// rollups by the hour, or by an index the page's plan leaves aside.
	fastCount string
	fastArgs  []any
	// pageFrom, when set, is the list's own table with its alias: the page's
	// ids are chosen from it alone, then its rows read with their joins (see
	// pageQuery).
	pageFrom string
}

// run pages the query and scans each row with scan, which returns the row's
// cursor.
func run[T any](ctx context.Context, db querier, q listQuery, o qp.ListOptions, scan func(*sql.Rows) (T, qp.Cursor, error)) (*qp.ListResult[T], error) {
	res := &qp.ListResult[T]{Total: -1}
	if !o.NoTotal {
		count, args := q.countFrom+q.where.sql(), q.where.args
		if q.fastCount != "" {
			count, args = q.fastCount, q.fastArgs
		}
		if err := db.QueryRowContext(ctx, count, args...).Scan(&res.Total); err != nil {
			return nil, fmt.Errorf("count: %w", err)
		}
	}
	desc, backward := !o.Asc, o.Before != nil
	query, args := pageQuery(q, o)
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	defer rows.Close()
	var cursors []qp.Cursor
	for rows.Next() {
		item, cur, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		res.Items = append(res.Items, item)
		cursors = append(cursors, cur)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	// more: rows beyond the page in the direction of travel (after it, or
	// before it when paging with before=).
	more := len(res.Items) > o.Limit
	if more {
		res.Items, cursors = res.Items[:o.Limit], cursors[:o.Limit]
	}
	res.HasMore = more
	if len(cursors) == 0 {
		return res, nil
	}
	if backward {
		// Fetched in reverse to take the rows just before the cursor.
		for i, j := 0, len(res.Items)-1; i < j; i, j = i+1, j-1 {
			res.Items[i], res.Items[j] = res.Items[j], res.Items[i]
			cursors[i], cursors[j] = cursors[j], cursors[i]
		}
	}
	first, last := cursors[0], cursors[len(cursors)-1]
	// A cursor is given only where rows lie beyond it: before the page
	// when it was reached by after=, an offset or before= with more; after
	// it when there are more, or when it was reached by before= and a row
	// follows it (the page the client came from, if it is still there).
	if (backward && more) || (!backward && (o.After != nil || o.Offset > 0)) {
		res.Prev = &first
	}
	if backward {
		// The page the client came from followed it, unless its rows
		// have gone since (retention, a delete): a next_cursor then led to
		// an empty page.
		follows, err := rowsAfter(ctx, db, q, desc, last)
		if err != nil {
			return nil, err
		}
		if follows {
			res.Next = &last
		}
	} else if more {
		res.Next = &last
	}
	return res, nil
}

// pageQuery is the statement that reads q's page: its rows after or before
// the cursor, or from the offset, in the page's order, one more than the
// limit (to tell whether more follow).
//
// With q.pageFrom the page's ids are chosen first, from the list's table
// alone, and only their rows are read with their joins: where SQLite sorts
// the rows a filter matches (a time range, a filter of few rows sorted by
// duration), it built each one's whole result (the joined request and some
// forty columns) before sorting, 15-30 µs a row: a day's 5,000 calls sorted
// by duration took 85 ms a page.
func pageQuery(q listQuery, o qp.ListOptions) (string, []any) {
	w := q.where
	desc := !o.Asc
	if c := o.After; c != nil {
		w.add(keyset(q.sortCol, q.idCol, desc), c.Value, c.ID)
	}
	if c := o.Before; c != nil {
		w.add(keyset(q.sortCol, q.idCol, !desc), c.Value, c.ID)
	}
	dir := "DESC"
	if desc == (o.Before != nil) {
		dir = "ASC"
	}
	order := fmt.Sprintf(" ORDER BY %s %s, %s %s", q.sortCol, dir, q.idCol, dir)
	query, args := pageRows(q, o, w, order)
	if q.pageFrom != "" {
		query = q.selectFrom + " WHERE " + q.idCol + " IN (" + query + ")" + order
	}
	return query, args
}

// pageRows is the statement that chooses the page's rows (their ids alone
// with q.pageFrom) under w, in order.
func pageRows(q listQuery, o qp.ListOptions, w where, order string) (string, []any) {
	from := q.selectFrom
	if q.pageFrom != "" {
		from = "SELECT " + q.idCol + " FROM " + q.pageFrom
	}
	query := from + w.sql() + order + " LIMIT ?"
	args := append(w.args, o.Limit+1)
	if o.After == nil && o.Before == nil && o.Offset > 0 {
		query += " OFFSET ?"
		args = append(args, o.Offset)
	}
	return query, args
}

// rowsAfter reports whether q has a row after cursor c in its order.
func rowsAfter(ctx context.Context, db querier, q listQuery, desc bool, c qp.Cursor) (bool, error) {
	w := where{conds: slices.Clone(q.where.conds), args: slices.Clone(q.where.args)}
	w.add(keyset(q.sortCol, q.idCol, desc), c.Value, c.ID)
	var follows bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS ("+q.selectFrom+w.sql()+")", w.args...).Scan(&follows); err != nil {
		return false, fmt.Errorf("list: rows after the page: %w", err)
	}
	return follows, nil
}

// keyset is the condition "strictly after (value, id)" in the given order,
// as a row-value comparison: SQLite turns it into an index range, where the
// equivalent OR form scans.
func keyset(sortCol, idCol string, desc bool) string {
	op := ">"
	if desc {
		op = "<"
	}
	return fmt.Sprintf("(%s, %s) %s (?, ?)", sortCol, idCol, op)
}
