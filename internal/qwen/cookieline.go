package qwen

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CookieControl says where a Cookie header holds a control character (a
// newline or a tab pasted with it from a browser's developer tools), ""
// when it holds none: which character, and at which character of the
// header, never the header's text. Such a header cannot be sent (net/http
// refuses a line break in a header), and a token=… cut by one was reported
// as missing ("holds no token=…"), which sent the user looking for a token
// that was there.
func CookieControl(header string) string {
	i := controlAt(header)
	if i < 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(header[i:])
	return fmt.Sprintf("the Cookie header holds a control character (%s) at character %d of %d: "+
		"the Cookie header must be one line, as a browser sends it (copy it again, or join its lines)",
		controlName(r), utf8.RuneCountInString(header[:i])+1, utf8.RuneCountInString(header))
}

// controlAt is the byte offset of the first control character in s (C0,
// DEL or, UTF-8 encoded, C1), -1 when there is none. A loop over the bytes:
// Configured asks it of the Cookie header several times a call.
func controlAt(s string) int {
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b < 0x20 || b == 0x7f:
			return i
		case b == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f:
			return i
		}
	}
	return -1
}

// controlName names a control character for a person: its common name
// and its code point.
func controlName(r rune) string {
	names := map[rune]string{'\n': "a line feed, U+000A", '\r': "a carriage return, U+000D", '\t': "a tab, U+0009", 0: "a NUL, U+0000"}
	if n, ok := names[r]; ok {
		return n
	}
	return fmt.Sprintf("U+%04X", r)
}

// LooksLikeCookies reports whether s, given as a bx-umidtoken, is rather
// part of a Cookie header (a cookie pasted over two lines, whose first line
// credentials set took for the bx-umidtoken): a bx-umidtoken is one base64
// string, with no ';' and no '=' but its padding at the end.
func LooksLikeCookies(s string) bool {
	return strings.Contains(s, ";") || strings.Contains(strings.TrimRight(s, "="), "=")
}
