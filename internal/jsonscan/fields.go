package jsonscan

import (
	"encoding/binary"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// The decoders below read an object's fields as json.Unmarshal would, each
// value a slice of the body, strings checked eight bytes at a time rather
// than by encoding/json's state machine (which passes over each byte twice
// a decode, and an agent's request is mostly long texts). A decoder built on
// them reports false for what it does not read exactly as json.Unmarshal
// does, and its caller then takes encoding/json's way, which also words the
// error.

// EachField calls fn with every top-level field of the JSON object body, in
// order: its name and its value, a slice of body (no copy: a 10 MB message
// is not copied to be looked at). It reports false, having stopped, when
// body is not an object of name-value pairs; fn returns false to stop early.
// A value's bounds are found (strings, nesting) but its grammar is not
// checked: json.Valid is the caller's, for the values it reads (the large
// ones, messages and tools, are checked once, by the decoder).
func EachField(body []byte, fn func(name string, v json.RawMessage) bool) bool {
	return eachField(body, nil, fn)
}

// eachField is EachField giving a name written as one of known is written
// (no escapes) as that string, not a copy: a decoder's names are its keys,
// and a copy of each for every object read was most of the allocations of
// reading a plain request (five of its eight). known's names must need no
// escaping in JSON, as every key of a decoder's does.
func eachField(body []byte, known []string, fn func(name string, v json.RawMessage) bool) bool {
	i := SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i = SkipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return SkipSpace(body, i+1) == len(body)
	}
	for {
		end := ValueEnd(body, i)
		if end < 0 || body[i] != '"' {
			return false
		}
		name, ok := knownName(body[i:end], known)
		if !ok {
			name, ok = unescapedString(body[i:end])
		}
		if !ok {
			name, ok = unmarshalString(body[i:end])
		}
		if !ok {
			return false
		}
		i = SkipSpace(body, end)
		if i >= len(body) || body[i] != ':' {
			return false
		}
		start := SkipSpace(body, i+1)
		end = ValueEnd(body, start)
		if end < 0 || end == start {
			return false
		}
		if !fn(name, body[start:end:end]) {
			return true
		}
		var last bool
		if i, last = afterValue(body, end, '}'); last {
			return i == len(body)
		}
	}
}

// unmarshalString decodes the JSON string lit with encoding/json. Its
// string is its own variable: a name's, were its address taken, would be
// moved to the heap for every field EachField reads (a plain request's
// eight allocations), not only for the few with escapes.
func unmarshalString(lit []byte) (string, bool) {
	var s string
	err := json.Unmarshal(lit, &s)
	return s, err == nil
}

// afterValue steps over what follows a member or element that ends at end:
// a comma (it returns where the next one starts) or the closing bracket
// (last; it returns where what follows it starts, past space, or -1 when
// neither follows).
func afterValue(b []byte, end int, closing byte) (i int, last bool) {
	i = SkipSpace(b, end)
	switch {
	case i < len(b) && b[i] == ',':
		return SkipSpace(b, i+1), false
	case i < len(b) && b[i] == closing:
		return SkipSpace(b, i+1), true
	}
	return -1, true
}

// knownName is the one of known that the JSON string lit (quotes
// included) is written as.
func knownName(lit []byte, known []string) (string, bool) {
	if len(lit) < 2 {
		return "", false
	}
	inner := lit[1 : len(lit)-1]
	for _, k := range known {
		if string(inner) == k {
			return k, true
		}
	}
	return "", false
}

// unescapedString reads the JSON string lit (quotes included) without
// encoding/json when it has no escapes and is valid UTF-8, as every field
// name of a request and most message texts are (encoding/json scans such a
// text twice: a tenth of a millisecond for an agent's 30 KB system prompt);
// ok is false for anything else, which is decoded the full way.
func unescapedString(lit []byte) (s string, ok bool) {
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", false
	}
	inner := lit[1 : len(lit)-1]
	ascii := true
	for _, c := range inner {
		if c < 0x20 || c == '\\' || c == '"' {
			return "", false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii && !utf8.Valid(inner) {
		return "", false // encoding/json puts U+FFFD in its place
	}
	return string(inner), true
}

// DecodeFields reads the JSON object obj as json.Unmarshal reads a struct
// whose fields' JSON names are keys (at most 64): field decodes each member
// named in keys, and every other member is only checked (validValue). It
// reports false for what is not an object, for what field refuses, and for
// a member named as one of keys in another case or a second time, which
// json.Unmarshal matches without regard to case and merges into what the
// first decoded: both are left to it.
func DecodeFields(obj []byte, keys []string, field func(name string, v json.RawMessage) bool) bool {
	var seen uint64
	return everyField(obj, keys, func(name string, v json.RawMessage) bool {
		i := slices.IndexFunc(keys, func(k string) bool { return strings.EqualFold(name, k) })
		switch {
		case i < 0:
			return validValue(v)
		case keys[i] != name || seen&(1<<i) != 0:
			return false
		}
		seen |= 1 << i
		return field(name, v)
	})
}

// everyField is eachField whose fn, returning false, makes it report false.
func everyField(obj []byte, known []string, fn func(name string, v json.RawMessage) bool) bool {
	failed := false
	ok := eachField(obj, known, func(name string, v json.RawMessage) bool {
		failed = !fn(name, v)
		return !failed
	})
	return ok && !failed
}

// EachElement calls fn with every element of the JSON array arr, a slice of
// it, each without surrounding space, its grammar unchecked. It reports
// false, having stopped, when arr is not an array of values or fn returns
// false.
func EachElement(arr []byte, fn func(el []byte) bool) bool {
	i := SkipSpace(arr, 1)
	if i < len(arr) && arr[i] == ']' {
		return SkipSpace(arr, i+1) == len(arr)
	}
	for {
		end := ValueEnd(arr, i)
		if end <= i || !fn(arr[i:end]) {
			return false
		}
		var last bool
		if i, last = afterValue(arr, end, ']'); last {
			return i == len(arr)
		}
	}
}

// DecodeString decodes a JSON string or null into dst as json.Unmarshal
// does (null leaves it unchanged). A string with escapes (a text of code or
// in lines) is checked and unescaped in one scan each (Unescape).
func DecodeString(v json.RawMessage, dst *string) bool {
	if s, ok := unescapedString(v); ok {
		*dst = s
		return true
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && validStringBody(v[1:len(v)-1]) {
		if s, ok := Unescape(v[1 : len(v)-1]); ok {
			*dst = s
			return true
		}
	}
	return json.Unmarshal(v, dst) == nil
}

// DecodeStringPointer decodes a JSON string into a new string at *dst, or
// null into nil, as json.Unmarshal does.
func DecodeStringPointer(v json.RawMessage, dst **string) bool {
	if string(v) == "null" {
		*dst = nil
		return true
	}
	var s string
	if !DecodeString(v, &s) {
		return false
	}
	*dst = &s
	return true
}

// DecodeBool decodes a JSON boolean or null into dst as json.Unmarshal does.
func DecodeBool(v json.RawMessage, dst *bool) bool {
	switch string(v) {
	case "true", "false":
		*dst = v[0] == 't'
		return true
	}
	return json.Unmarshal(v, dst) == nil
}

// DecodeRaw keeps a valid JSON value, copied, as json.RawMessage's
// UnmarshalJSON does.
func DecodeRaw(v json.RawMessage, dst *json.RawMessage) bool {
	if !validValue(v) {
		return false
	}
	*dst = append(json.RawMessage(nil), v...)
	return true
}

// validValue is json.Valid, with strings checked eight bytes at a time
// (validStringBody), in arrays and objects too (a message's content is a
// list of blocks of long texts). Past a nesting of maxScanDepth, the rest
// is left to json.Valid, whose own limit then applies.
func validValue(v []byte) bool { return validAt(v, 0) }

const maxScanDepth = 64

func validAt(v []byte, depth int) bool {
	if len(v) == 0 {
		return false
	}
	switch {
	case v[0] == '"' && len(v) >= 2 && v[len(v)-1] == '"':
		return validStringBody(v[1 : len(v)-1])
	case depth >= maxScanDepth:
	case v[0] == '[':
		return EachElement(v, func(el []byte) bool { return validAt(el, depth+1) })
	case v[0] == '{':
		valid := true
		return EachField(v, func(_ string, m json.RawMessage) bool {
			valid = validAt(m, depth+1)
			return valid
		}) && valid
	}
	return json.Valid(v)
}

// validStringBody reports whether s, the inside of a JSON string literal
// whose closing quote was found (StringEnd), is valid: no control
// characters, no unescaped quote, and only JSON's escapes. Bytes that are
// not UTF-8 are valid, as for json.Valid.
func validStringBody(s []byte) bool {
	// Eight bytes at a time while none needs a look (a message's text is
	// long runs of them), then the one that does: agents' texts are lines
	// and code, an escape every few dozen bytes, where jumping from escape
	// to escape (IndexByte) cost more in calls than it saved.
	for i := 0; i < len(s); {
		if i+8 <= len(s) && !anySpecial(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
			continue
		}
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		if c != '\\' || i+1 >= len(s) {
			return false
		}
		switch s[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if !IsHex4(s[i+2:]) {
				return false
			}
			i += 6
		default:
			return false
		}
	}
	return true
}

// anySpecial reports whether any of the eight bytes of w is a control
// character, a quote or a backslash: each test is the exact "has a byte
// less than n" of bit twiddling ((w - n·0x01…) & ^w & 0x80…), on w, and on
// w XOR the byte, for equality.
func anySpecial(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, b := w^(ones*'"'), w^(ones*'\\')
	return ((w-ones*0x20)&^w|(q-ones)&^q|(b-ones)&^b)&highs != 0
}

// DecodeObjects decodes the JSON array v, or null (nil), into dst as
// json.Unmarshal does, each element an object read by DecodeFields with
// field (given the element being filled); an element that is not an object
// (null among them, which json.Unmarshal reads as the zero value) makes it
// report false, as field's false does. dst is changed only on success.
func DecodeObjects[T any](v json.RawMessage, dst *[]T, keys []string, field func(name string, v json.RawMessage, el *T) bool) bool {
	if string(v) == "null" {
		*dst = nil
		return true
	}
	if len(v) == 0 || v[0] != '[' {
		return false
	}
	list := []T{}
	ok := EachElement(v, func(el []byte) bool {
		var one T
		if !DecodeObject(el, &one, keys, field) {
			return false
		}
		list = append(list, one)
		return true
	})
	if !ok {
		return false
	}
	*dst = list
	return true
}

// DecodeObject decodes the JSON object obj into dst as json.Unmarshal
// decodes it into a T whose fields' JSON names are keys, reading each with
// field (DecodeFields); dst is changed only on success.
func DecodeObject[T any](obj []byte, dst *T, keys []string, field func(name string, v json.RawMessage, t *T) bool) bool {
	if i := SkipSpace(obj, 0); i >= len(obj) || obj[i] != '{' {
		return false
	}
	var t T
	if !DecodeFields(obj, keys, func(name string, v json.RawMessage) bool { return field(name, v, &t) }) {
		return false
	}
	*dst = t
	return true
}

// DecodeObjectPointer is DecodeObject into a new T at *dst, or null into
// nil, as json.Unmarshal decodes a pointer.
func DecodeObjectPointer[T any](v json.RawMessage, dst **T, keys []string, field func(name string, v json.RawMessage, t *T) bool) bool {
	if string(v) == "null" {
		*dst = nil
		return true
	}
	t := new(T)
	if !DecodeObject(v, t, keys, field) {
		return false
	}
	*dst = t
	return true
}
