package jsonscan

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// AppendNormal appends v, a valid JSON text (json.Valid), in a normal form:
// without the whitespace between tokens; each object's members ordered by
// key, and of a key given twice the last only (as encoding/json reads it);
// each string with the fewest escapes — `"`, `\` and the control characters
// (\b \f \n \r \t short, the others \u00xx) — its other escapes decoded
// (\/, \u00e9, a surrogate pair; a lone surrogate, and a byte that is not
// UTF-8, as U+FFFD, as encoding/json reads them). Two texts of one value then append the same
// bytes, whichever wrote them: Go's json.Marshal (keys sorted, <, > and &
// escaped), Python's json.dumps (", " and ": ", non-ASCII as \u escapes),
// JavaScript's JSON.stringify (keys in their order). Numbers are kept as
// written. What is not valid JSON is appended as it is from where it stops
// being so.
func AppendNormal(dst, v []byte) []byte { return appendNormal(dst, v, false) }

// AppendNormalDoubles is AppendNormal with each number as a float64 reads
// it, written as encoding/json writes a float64: 1.0 and 1, 1e2 and 100,
// 1234567890123456789 and 1234567890123456800 append alike. It is the form a
// value keeps through JavaScript, where every number is a double: a client
// that parses arguments and sends them back (an Anthropic tool_use input)
// sends them so. A number a float64 cannot hold (1e400) stays as written.
func AppendNormalDoubles(dst, v []byte) []byte { return appendNormal(dst, v, true) }

func appendNormal(dst, v []byte, doubles bool) []byte {
	out, i, ok := appendNormalValue(dst, v, 0, doubles)
	if !ok {
		return append(dst, v...)
	}
	if SkipSpace(v, i) != len(v) {
		return append(out, v[i:]...)
	}
	return out
}

// appendNormalValue appends the value that starts at v[i] (after
// whitespace) in AppendNormal's form, and returns where it ends.
func appendNormalValue(dst, v []byte, i int, doubles bool) ([]byte, int, bool) {
	i = SkipSpace(v, i)
	if i >= len(v) {
		return dst, i, false
	}
	switch v[i] {
	case '"':
		end := StringEnd(v, i+1)
		if end < 0 {
			return dst, i, false
		}
		return appendNormalString(dst, v[i+1:end]), end + 1, true
	case '{':
		return appendNormalObject(dst, v, i, doubles)
	case '[':
		dst = append(dst, '[')
		i = SkipSpace(v, i+1)
		if i < len(v) && v[i] == ']' {
			return append(dst, ']'), i + 1, true
		}
		for {
			var ok bool
			if dst, i, ok = appendNormalValue(dst, v, i, doubles); !ok {
				return dst, i, false
			}
			i = SkipSpace(v, i)
			if i >= len(v) {
				return dst, i, false
			}
			dst = append(dst, v[i])
			if v[i] == ']' {
				return dst, i + 1, true
			}
			if v[i] != ',' {
				return dst, i, false
			}
			i++
		}
	}
	// A number, true, false or null: as written (a number, with doubles,
	// as a float64).
	j := i
	for j < len(v) && strings.IndexByte(",]} \t\n\r", v[j]) < 0 {
		j++
	}
	if doubles && (v[i] == '-' || '0' <= v[i] && v[i] <= '9') {
		if f, err := strconv.ParseFloat(string(v[i:j]), 64); err == nil {
			return appendDouble(dst, f), j, true
		}
	}
	return append(dst, v[i:j]...), j, j > i
}

// appendDouble appends f as encoding/json writes a float64 (its floatEncoder):
// the shortest digits, in exponent form below 1e-6 and from 1e21, with the
// exponent's leading zero dropped.
func appendDouble(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if n := len(dst); format == 'e' && n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
		dst[n-2] = dst[n-1] // e-07 is e-7
		dst = dst[:n-1]
	}
	return dst
}

// member is an object member in normal form, at [start:end) of where it
// was written: its key (quoted) to key, then ':' and its value.
type member struct{ start, key, end int }

// appendNormalObject appends the object at v[open], its members ordered by
// key and of a key given twice the last only. The members are appended as
// they come, and only when their keys did not come sorted (Go and the
// proxy's own answers write them sorted) moved out and appended again in
// order.
func appendNormalObject(dst, v []byte, open int, doubles bool) ([]byte, int, bool) {
	i := SkipSpace(v, open+1)
	base := len(dst)
	dst = append(dst, '{')
	if i < len(v) && v[i] == '}' {
		return append(dst, '}'), i + 1, true
	}
	var few [8]member
	members := few[:0]
	sorted := true
	for {
		i = SkipSpace(v, i)
		if i >= len(v) || v[i] != '"' {
			return dst, i, false
		}
		if len(members) > 0 {
			dst = append(dst, ',')
		}
		m := member{start: len(dst)}
		var ok bool
		if dst, i, ok = appendNormalValue(dst, v, i, false); !ok { // the key
			return dst, i, false
		}
		m.key = len(dst)
		if i = SkipSpace(v, i); i >= len(v) || v[i] != ':' {
			return dst, i, false
		}
		dst = append(dst, ':')
		if dst, i, ok = appendNormalValue(dst, v, i+1, doubles); !ok {
			return dst, i, false
		}
		m.end = len(dst)
		if n := len(members); n > 0 && bytes.Compare(dst[members[n-1].start:members[n-1].key], dst[m.start:m.key]) >= 0 {
			sorted = false // out of order, or a key given again
		}
		members = append(members, m)
		if i = SkipSpace(v, i); i >= len(v) {
			return dst, i, false
		}
		if v[i] == '}' {
			i++
			break
		}
		if v[i] != ',' {
			return dst, i, false
		}
		i++
	}
	if sorted {
		return append(dst, '}'), i, true
	}
	bp := reorderBuffers.Get().(*[]byte)
	written := append((*bp)[:0], dst[base:]...)
	defer func() {
		if cap(written) <= 1<<20 { // a huge object's copy is not kept
			*bp = written[:0]
			reorderBuffers.Put(bp)
		}
	}()
	for k := range members {
		members[k].start, members[k].key, members[k].end = members[k].start-base, members[k].key-base, members[k].end-base
	}
	key := func(m member) []byte { return written[m.start:m.key] }
	// Stable: of equal keys the last given is the last kept.
	slices.SortStableFunc(members, func(a, b member) int { return bytes.Compare(key(a), key(b)) })
	dst = append(dst[:base], '{')
	for k, m := range members {
		if k+1 < len(members) && bytes.Equal(key(m), key(members[k+1])) {
			continue // a later member has this key
		}
		if dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
		dst = append(dst, written[m.start:m.end]...)
	}
	return append(dst, '}'), i, true
}

// appendNormalString appends the string whose inside (between its quotes)
// is raw, quoted, in AppendNormal's form.
func appendNormalString(dst, raw []byte) []byte {
	if shortestEscapes(raw) && utf8.Valid(raw) { // the common case: as it is
		return append(append(append(dst, '"'), raw...), '"')
	}
	dst = append(dst, '"')
	for {
		i := bytes.IndexByte(raw, '\\')
		if i < 0 || i+1 >= len(raw) {
			dst = appendValidUTF8(dst, raw)
			break
		}
		dst = appendValidUTF8(dst, raw[:i])
		n := 2 // the escape's length
		switch e := raw[i+1]; e {
		case 'u':
			r, size, ok := unicodeEscape(raw[i:])
			if !ok { // not valid JSON: kept as it is
				dst = append(dst, raw[i:i+2]...)
				break
			}
			n = size
			dst = appendNormalRune(dst, r)
		case '/':
			dst = append(dst, '/')
		default: // \" \\ \b \f \n \r \t: already the shortest
			dst = append(dst, '\\', e)
		}
		raw = raw[i+n:]
	}
	return append(dst, '"')
}

// reorderBuffers hold the members of an object whose keys came unsorted
// while they are appended again in order.
var reorderBuffers = sync.Pool{New: func() any { return new([]byte) }}

// shortestEscapes reports whether every escape in raw, the inside of a
// string, is one AppendNormal writes: \" \\ \b \f \n \r \t.
func shortestEscapes(raw []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '\\')
		if j < 0 {
			return true
		}
		i += j
		if i+1 >= len(raw) {
			return false
		}
		switch raw[i+1] {
		case '"', '\\', 'b', 'f', 'n', 'r', 't':
			i += 2
		default:
			return false
		}
	}
}

// appendValidUTF8 appends b with each byte that is not UTF-8 as U+FFFD, as
// encoding/json reads a string holding one.
func appendValidUTF8(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[:size]...)
		}
		b = b[size:]
	}
	return dst
}

// appendNormalRune appends r as AppendNormal writes it inside a string.
func appendNormalRune(dst []byte, r rune) []byte {
	switch {
	case r == '"' || r == '\\':
		return append(dst, '\\', byte(r))
	case r >= 0x20:
		return utf8.AppendRune(dst, r)
	}
	switch r {
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
}
