package jsonscan

import (
	"bytes"
	"unicode/utf8"
)

// AppendNormal appends v, a valid JSON text (json.Valid), in a normal form:
// without the whitespace between tokens, and each string with the fewest
// escapes — `"`, `\` and the control characters (\b \f \n \r \t short, the
// others \u00xx) — its other escapes decoded (\/, \u00e9, a surrogate pair; a
// lone surrogate as U+FFFD, as encoding/json reads it). Two texts of one
// value whose keys are in the same order then append the same bytes,
// whichever wrote them: Go's compact json.Marshal (which escapes <, > and
// &), Python's json.dumps (", " and ": ", non-ASCII as \u escapes),
// JavaScript's JSON.stringify. Numbers are kept as written.
func AppendNormal(dst, v []byte) []byte {
	for i := 0; i < len(v); {
		switch c := v[i]; c {
		case ' ', '\t', '\n', '\r':
			i++
		case '"':
			end := StringEnd(v, i+1)
			if end < 0 { // not valid JSON: kept as it is
				return append(dst, v[i:]...)
			}
			dst = appendNormalString(dst, v[i+1:end])
			i = end + 1
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

// appendNormalString appends the string whose inside (between its quotes)
// is raw, quoted, in AppendNormal's form.
func appendNormalString(dst, raw []byte) []byte {
	dst = append(dst, '"')
	for {
		i := bytes.IndexByte(raw, '\\')
		if i < 0 || i+1 >= len(raw) {
			dst = append(dst, raw...)
			break
		}
		dst = append(dst, raw[:i]...)
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
