package sqlite

import (
	"bytes"
	"database/sql/driver"
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
}

// ContainsText is, for a search with letters beyond ASCII, the condition
// that column contains it under Unicode case folding (containsFoldFunc);
// for one of ASCII letters alone, lower() LIKE, which folds all such a
// search needs (bar the Kelvin sign, which only the function takes for a
// k) in a fifth less time than the function call.
func (dialect) ContainsText(column, search string) (string, any) {
	if strings.IndexFunc(search, func(r rune) bool { return r >= utf8.RuneSelf }) < 0 {
		return sqlstore.LowerContains(column, search)
	}
	return containsFoldFunc + "(" + column + ", ?) = 1", search
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
