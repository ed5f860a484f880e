// Package clip bounds what an answer, a record or a log line echoes of a
// client's input: a role, a sort field, a Content-Type or a model name of
// any length must not make a message of that length.
package clip

import (
	"strconv"
	"strings"
)

// Head is s cut to its first max bytes, with "…" after the cut; a rune the
// cut would split is left out, so the result stays UTF-8.
func Head(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}

// Middle is s bounded to about max bytes by leaving out its middle: the
// beginning of a message says what was wrong and its end what to do (the
// values it takes), while what lies between is the client's echoed value.
// The cut says how much it left out.
func Middle(s string, max int) string {
	if len(s) <= max {
		return s
	}
	tail := max / 4
	head := max - tail
	left := len(s) - head - tail
	return strings.ToValidUTF8(s[:head], "") + "… (" + strconv.Itoa(left) + " bytes left out) …" +
		strings.ToValidUTF8(s[len(s)-tail:], "")
}
