package qwensim

import (
	"strconv"
	"unicode/utf8"
)

// Qwen writes its stream events with Python's json.dumps(ensure_ascii=False):
// ", " and ": " separators, non-ASCII left as is. These helpers reproduce that
// byte for byte, which encoding/json does not (it escapes <, >, & and
// U+2028/2029, and separates without spaces).

// pyObj builds a JSON object in key order.
type pyObj struct{ b []byte }

// newObj starts an object with room for an event's usage or delta: grown
// from one byte, each event's objects were copied seven times over.
func newObj() *pyObj { return &pyObj{b: append(make([]byte, 0, 256), '{')} }

func (o *pyObj) key(k string) *pyObj {
	if len(o.b) > 1 {
		o.b = append(o.b, ", "...)
	}
	o.b = appendPyString(o.b, k)
	o.b = append(o.b, ": "...)
	return o
}

func (o *pyObj) str(k, v string) *pyObj { o.key(k); o.b = appendPyString(o.b, v); return o }
func (o *pyObj) num(k string, v int) *pyObj {
	o.key(k)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
	return o
}
func (o *pyObj) raw(k string, v []byte) *pyObj { o.key(k); o.b = append(o.b, v...); return o }
func (o *pyObj) obj(k string, v *pyObj) *pyObj { return o.raw(k, v.bytes()) }
func (o *pyObj) bytes() []byte                 { return append(o.b, '}') }

func pyList(items ...[]byte) []byte {
	b := []byte{'['}
	for i, it := range items {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

func pyStrings(items []string) []byte {
	parts := make([][]byte, len(items))
	for i, s := range items {
		parts[i] = appendPyString(nil, s)
	}
	return pyList(parts...)
}

const hexDigits = "0123456789abcdef"

func appendPyString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		// A run of bytes written as they are goes in one append: one a
		// byte made the simulator's events cost more than any proxy's
		// reading of them, on the cores the benchmarks share with it.
		if run := plainRun(s[i:]); run > 0 {
			b = append(b, s[i:i+run]...)
			i += run
			continue
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			if c < 0x20 || c == 0x7f {
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return append(b, '"')
}

// plainRun is the length of s's leading run of ASCII bytes that
// appendPyString writes as they are (all but the quote, the backslash,
// control characters and DEL).
func plainRun(s string) int {
	i := 0
	for i < len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			break
		}
		i++
	}
	return i
}
