package sqlite

import (
	"bytes"
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	msqlite "modernc.org/sqlite"

	"qwenproxy/internal/store/sqlstore"
)

// containsFoldFunc is the SQL function containsFold is registered as, on
// every connection of the "sqlite" driver: qwenproxy_contains_fold(text,
// search) is 1 when text contains search under Unicode case folding, 0 when
// not, NULL when either is NULL. SQLite's lower() and LIKE fold ASCII only,
// so "HÉLLO" did not find "héllo" (PostgreSQL's lower() folds every letter).
const containsFoldFunc = "qwenproxy_contains_fold"

// foldFunc is appendFolded registered as an SQL function, on every
// connection of the "sqlite" driver: qwenproxy_fold(text) is text with each
// character folded as containsFold folds it, NULL for NULL. Migration 0038's
// triggers keep each session's first message in this form in the trigram
// index the session search narrows its sessions by (SessionSearch), so
// inserting a session or changing its first message needs it: outside
// qwenproxy (the sqlite3 shell) such a statement fails with "no such
// function" (deleting one does not).
const foldFunc = "qwenproxy_fold"

func init() {
	err := msqlite.RegisterDeterministicScalarFunction(containsFoldFunc, 2, func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		text, ok1 := textOf(args[0])
		search, ok2 := textOf(args[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		if containsFold(text, search) {
			return int64(1), nil
		}
		return int64(0), nil
	})
	if err != nil {
		panic(err)
	}
	err = msqlite.RegisterDeterministicScalarFunction(foldFunc, 1, func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		text, ok := textOf(args[0])
		if !ok {
			return nil, nil
		}
		return foldedValue(args[0], text), nil
	})
	if err != nil {
		panic(err)
	}
}

// containsText is, for a search with letters beyond ASCII, the condition
// that column contains it under Unicode case folding (containsFoldFunc);
// for one of ASCII letters alone, lower() LIKE, which folds all such a
// search needs (bar the Kelvin sign, which only the function takes for a
// k) in a fifth less time than the function call.
func containsText(column, search string) (string, any) {
	if strings.IndexFunc(search, func(r rune) bool { return r >= utf8.RuneSelf }) < 0 {
		return sqlstore.LowerContains(column, search)
	}
	return containsFoldFunc + "(" + column + ", ?) = 1", search
}

// narrowSessionSearch says a session search of three characters or more
// may narrow its sessions by the trigram index (a test turns it off to read
// every first message).
var narrowSessionSearch = true

// sessionCandidates are the ids of the sessions whose folded first message
// holds its one argument, an FTS5 phrase of the folded search's trigrams, from
// session_search (migration 0038), which holds each first message as
// appendFolded has it; the index is read first, in its order, so a LIMIT
// stops it.
const sessionCandidates = `SELECT m.session_id FROM session_search JOIN session_search_ids m ON m.id = session_search.rowid
	WHERE session_search MATCH ?`

// SessionSearch is containsText on the first message, behind, for a search
// of three characters or more that fewer than a twentieth of the sessions
// may hold, the sessions sessionCandidates finds. A session the search's
// condition finds holds the folded search in its folded message (each
// character folds to one, an ASCII one to its lower case), so the index
// finds it too: the sessions found are the same, read from the index's few
// instead of from every first message (50-97 ms at 50,000 sessions). A
// search most sessions hold finds a page soonest by the sort's index, as
// before (reading its every candidate took 150 ms); so does a shorter one,
// which has no trigram to look up. The search is taken as the statement
// will bind it (a NUL or bytes that are not UTF-8 as U+FFFD, see sqlstore's
// text).
func (dialect) SessionSearch(ctx context.Context, db sqlstore.RowQuerier, search string) (string, []any, error) {
	cond, arg := containsText("first_user_message", search)
	folded := appendFolded(nil, strings.ReplaceAll(strings.ToValidUTF8(search, "\uFFFD"), "\x00", "\uFFFD"))
	if !narrowSessionSearch || utf8.RuneCount(folded) < 3 {
		return cond, []any{arg}, nil
	}
	phrase := `"` + strings.ReplaceAll(string(folded), `"`, `""`) + `"`
	var top int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM session_search_ids`).Scan(&top); err != nil {
		return "", nil, fmt.Errorf("list sessions: count the sessions: %w", err)
	}
	need := max(top/20, 1)
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+sessionCandidates+` LIMIT ?)`, phrase, need).Scan(&n); err != nil {
		return "", nil, fmt.Errorf("list sessions: count the search's candidates: %w", err)
	}
	if n >= need {
		return cond, []any{arg}, nil
	}
	return `id IN (` + sessionCandidates + `) AND ` + cond, []any{phrase, arg}, nil
}

// HoldsString is instr().
func (dialect) HoldsString(expr string) string { return "instr(" + expr + ", ?) > 0" }

func textOf(v driver.Value) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// containsFold reports whether s contains substr when each of their
// characters is case folded (Unicode's simple folding, as strings.EqualFold
// compares: "É" is "é", the Kelvin sign "k", "ς" "σ"). The folded copy of s
// goes into a buffer kept for the next call: a search reads every session's
// first message.
func containsFold(s, substr string) bool {
	var needle [256]byte
	n := appendFolded(needle[:0], substr)
	buf := folded.Get().(*[]byte)
	h := appendFolded((*buf)[:0], s)
	found := bytes.Contains(h, n)
	if cap(h) <= 1<<20 { // a huge first message is not kept for the next
		*buf = h
		folded.Put(buf)
	}
	return found
}

// foldedValue is foldFunc's value of v, whose text is text: v itself when
// it is text that folding leaves as it is (a first message in lower case),
// else the folded text. A text of up to 1 KiB is folded on the stack: every
// session saved calls the function (migration 0038's triggers), and a
// folded copy made afresh, then copied into the string returned, was two
// allocations a call.
func foldedValue(v driver.Value, text string) driver.Value {
	var stack [1 << 10]byte
	h := appendFolded(stack[:0], text)
	if s, isText := v.(string); isText && string(h) == s {
		return v
	}
	return string(h)
}

var folded = sync.Pool{New: func() any { return new([]byte) }}

// appendFolded appends s with each character folded (foldRune).
func appendFolded(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst
}

// foldRune is r's orbit under unicode.SimpleFold, named by its least member
// once ASCII letters are taken in lower case: "a" for "A", "k" for "K" and
// the Kelvin sign, "É" for "é".
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m := f
		if 'A' <= m && m <= 'Z' {
			m += 'a' - 'A'
		}
		least = min(least, m)
	}
	return least
}
