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

// argStream passes a call's arguments object on as it arrives, with the
// repairs decodeLenient would make on the whole (single-quoted strings
// double-quoted, raw control characters in strings escaped, trailing commas
// dropped), so that the pieces add up to valid JSON. It ends where the
// object closes.
type argStream struct {
	quote  byte   // the open string's quote, or 0
	escape bool   // a backslash was read inside a string
	open   []byte // the closing brackets of the open objects and arrays
	held   string // a comma and the white space after it: dropped if a bracket follows
	done   bool
}

// feed takes more of the block and returns the repaired arguments text it
// completes; once the object has closed, it takes nothing more.
func (a *argStream) feed(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && !a.done; i++ {
		a.byte(&b, s[i])
	}
	return b.String()
}

func (a *argStream) byte(b *strings.Builder, c byte) {
	if a.quote != 0 {
		switch {
		case a.escape:
			a.escape = false
			if a.quote == '\'' && c == '\'' {
				b.WriteByte('\'')
			} else {
				b.WriteByte('\\')
				b.WriteByte(c)
			}
		case c == '\\':
			a.escape = true
		case c == a.quote:
			b.WriteByte('"')
			a.quote = 0
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
		return
	}
	if a.held != "" {
		switch c {
		case ' ', '\t', '\r', '\n':
			a.held += string(c)
			return
		case '}', ']':
			b.WriteString(a.held[1:]) // a trailing comma: dropped
		default:
			b.WriteString(a.held)
		}
		a.held = ""
	}
	switch c {
	case '"', '\'':
		a.quote = c
		b.WriteByte('"')
	case ',':
		a.held = ","
	case '{':
		a.open = append(a.open, '}')
		b.WriteByte(c)
	case '[':
		a.open = append(a.open, ']')
		b.WriteByte(c)
	case '}', ']':
		if len(a.open) > 0 {
			a.open = a.open[:len(a.open)-1]
		}
		b.WriteByte(c)
		if len(a.open) == 0 {
			a.done = true
		}
	default:
		b.WriteByte(c)
	}
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
