package main

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// visible shows text from the history (what clients sent, what Qwen
// answered, what failed) to a person at a terminal: every control character
// but newline and tab is written as Go writes it in a quoted string (\x1b,
// \x00, \x7f, \r, \u009b), as is each byte that is not UTF-8 (\xff), so that
// client content can never drive the terminal (colours, a window title, a
// cleared screen, a rewritten line). JSON output needs none of this: it is
// escaped as JSON (writeJSON escapes DEL and C1 too).
func visible(s string) string { return escapeControls(s, "\n\t") }

// cell is visible for a table's cell or a one-line field: a newline or a tab
// would break the table's rows or columns, so they are escaped too (\n, \t).
func cell(s string) string { return escapeControls(s, "") }

// escapeControls escapes the control characters of s but those in keep, and
// the bytes that are not UTF-8.
func escapeControls(s, keep string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) && !strings.ContainsRune(keep, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:]) // two hex digits
		case unicode.IsControl(r) && !strings.ContainsRune(keep, r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// displayWidth is how many columns a terminal takes to draw s, which holds
// no control characters (cell escapes them): two for an East Asian wide or
// fullwidth character (CJK, most emoji), none for a combining mark or a
// format character (an accent written apart, a variation selector, a
// zero-width joiner), one for any other.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r < 0x300: // ASCII and Latin-1: the common case, one column each
			n++
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		default:
			if k := width.LookupRune(r).Kind(); k == width.EastAsianWide || k == width.EastAsianFullwidth {
				n += 2
			} else {
				n++
			}
		}
	}
	return n
}
