package tools

import (
	"regexp"
	"strings"
)

// callHead is the start of a call block in the JSON form, up to the opening
// brace of its arguments: once it has arrived, naming a declared tool, the
// block is confirmed a call and its arguments can stream. (A block that
// names its arguments first, or gives them as a string, is read whole.)
var callHead = regexp.MustCompile("^\\s*(?:```(?:json)?\\s*)?\\{\\s*\"name\"\\s*:\\s*\"([A-Za-z0-9_-]{1,64})\"\\s*,\\s*\"(?:arguments|parameters)\"\\s*:\\s*\\{")

// repairer rewrites JSON text as it is read, making the repairs models
// need (single-quoted strings double-quoted, raw control characters in
// strings escaped, trailing commas dropped), byte by byte, so that a call's
// arguments can be repaired while they stream.
type repairer struct {
	quote  byte   // the open string's quote, or 0
	escape bool   // a backslash was read inside a string
	held   string // a comma and the white space after it: dropped if a bracket follows
}

// repairJSON is the whole text repaired.
func repairJSON(s string) string {
	var r repairer
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		r.byte(&b, s[i])
	}
	if r.escape {
		b.WriteByte('\\')
	}
	b.WriteString(r.held)
	return b.String()
}

// byte reads c and writes what it becomes; it reports whether c was
// structure (outside strings, not held).
func (r *repairer) byte(b *strings.Builder, c byte) bool {
	if r.quote != 0 {
		switch {
		case r.escape:
			r.escape = false
			if r.quote == '\'' && c == '\'' {
				b.WriteByte('\'')
			} else {
				b.WriteByte('\\')
				b.WriteByte(c)
			}
		case c == '\\':
			r.escape = true
		case c == r.quote:
			b.WriteByte('"')
			r.quote = 0
		case c == '"': // a double quote inside a single-quoted string
			b.WriteString(`\"`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
		return false
	}
	if r.held != "" {
		switch c {
		case ' ', '\t', '\r', '\n':
			r.held += string(c)
			return false
		case '}', ']':
			b.WriteString(r.held[1:]) // a trailing comma: dropped
		default:
			b.WriteString(r.held)
		}
		r.held = ""
	}
	switch c {
	case '"', '\'':
		r.quote = c
		b.WriteByte('"')
		return false
	case ',':
		r.held = ","
		return false
	}
	b.WriteByte(c)
	return true
}

// argStream passes a call's arguments object on as it arrives, repaired as
// decodeLenient would repair the whole, so that the pieces add up to valid
// JSON. It ends where the object closes.
type argStream struct {
	repairer
	open []byte // the closing brackets of the open objects and arrays
	done bool
}

// feed takes more of the block and returns the repaired arguments text it
// completes; once the object has closed, it takes nothing more.
func (a *argStream) feed(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && !a.done; i++ {
		if !a.byte(&b, s[i]) {
			continue
		}
		switch s[i] {
		case '{':
			a.open = append(a.open, '}')
		case '[':
			a.open = append(a.open, ']')
		case '}', ']':
			if len(a.open) > 0 {
				a.open = a.open[:len(a.open)-1]
			}
			a.done = len(a.open) == 0
		}
	}
	return b.String()
}

// close ends arguments that were cut off (the block or the answer ended
// first): it closes the open string and brackets, so that what was sent is
// still one JSON object.
func (a *argStream) close() string {
	if a.done {
		return ""
	}
	var b strings.Builder
	if a.quote != 0 { // a pending backslash is dropped: it would escape the quote
		b.WriteByte('"')
	}
	for i := len(a.open) - 1; i >= 0; i-- {
		b.WriteByte(a.open[i])
	}
	a.open, a.done = nil, true
	return b.String()
}
