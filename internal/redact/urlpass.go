package redact

import (
	"bytes"
	"strings"
	"unsafe"

	"qwenproxy/internal/jsonscan"
)

// URLPasswords returns b, a text or a JSON document, with the password of
// every URL's user info in it replaced by Placeholder
// (postgres://u:[REDACTED]@h/db, https://user:[REDACTED]@host/…), and the
// passwords it replaced, each as a JSON string's content decodes (a
// password's & that Go's encoder wrote \u0026 is "&"). A connection string
// pasted in a message, or a DSN in a tool's arguments, is recorded without
// its password. The URL is found as text, whatever its scheme, also with
// its slashes JSON-escaped (https:\/\/…) and inside a JSON string inside
// another (a tool call's arguments); its authority ends at a /, ?, # or
// anything no URL holds unescaped (a space, a double quote, a backslash
// but a \u escape's: endsAuthority), and the password goes from the first colon to the last @
// there (p@ss@host: "p@ss"). A name alone (ssh://git@host) has none. A
// password pasted raw, with a /, ?, # or space that ends the authority
// before its @ (postgres://u:pa/ss@h/db), is found as rawPasswordBefore
// finds it: to the last @ before the host, never where the text may be a
// host's path or prose. Every other byte is kept, so JSON stays JSON. b itself is returned when nothing is masked, a new slice when
// something is: b is never written to.
func URLPasswords(b []byte) ([]byte, []string) {
	if !mayHoldURLPassword(b) {
		return b, nil
	}
	return maskURLPasswords(b)
}

// URLPasswordsWithin is URLPasswords for a body whose record keeps no more
// than its first window bytes: the passwords of the whole body, but only
// its first window bytes masked (the whole, masked, when that is no longer
// than window), and the length the whole has masked. A body's copy masked
// whole (each body with a password was copied) is for a record that cuts it
// no copy at all.
func URLPasswordsWithin(b []byte, window int) (masked []byte, hidden []string, whole int) {
	if window <= 0 || len(b) <= window {
		masked, hidden = URLPasswords(b)
		return masked, hidden, len(masked)
	}
	whole = len(b)
	back := &backScan{at: -1}
	for i := 0; ; {
		from, to, next, found := nextURLPassword(b, i, back)
		if !found {
			break
		}
		hidden = append(hidden, decodedPassword(b[from:to]))
		whole += len(Placeholder) - (to - from)
		i = next
	}
	switch {
	case hidden == nil:
		return b[:window], nil, whole
	case whole <= window:
		masked, _ = maskURLPasswords(b)
		return masked, hidden, whole
	}
	masked, _ = maskURLPasswords(b[:window])
	return masked, hidden, whole
}

// Distinctive is the URL passwords of hidden (URLPasswords') worth masking
// wherever else a record holds them: not those of letters alone. Such a
// password — the postgres:postgres of a local database, the "password" of
// an example — is a word the record holds as a word too; masked wherever
// it stood it took the text with it (every "postgres", each postgres://
// URL's scheme and user), and said nothing more of a secret. It is masked
// in the URLs that hold it.
func Distinctive(hidden []string) []string {
	var out []string
	for _, p := range hidden {
		for i := range len(p) {
			if c := p[i] | 0x20; c < 'a' || c > 'z' {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// URLPasswordsText is URLPasswords for a text held as a string (a
// session's name): s itself when nothing is masked, not copied to be
// screened.
func URLPasswordsText(s string) string {
	b := unsafe.Slice(unsafe.StringData(s), len(s)) // read only: maskURLPasswords never writes b
	if !mayHoldURLPassword(b) {
		return s
	}
	out, _ := maskURLPasswords(b)
	return string(out)
}

// URLValue is v, a setting's whole value (DATABASE_PATH, a flag's) that
// may be one URL, with the password of that URL's user info masked from the
// user's colon to the value's last @: a password pasted raw may hold any
// character — a quote, a brace, a space — where in a text such a character
// ends the URL for URLPasswordsText, which printed the rest in clear
// (postgress://alice:pa"ss@host). Here the value is the URL whole, and what
// it masks too much (a colon and an @ in a query) is masked in an error's
// echo alone. So is a URL mistyped without its colon or a slash
// (postgresql:/alice:pw@host, postgres//alice:pw@host). Any other URL
// password in v is masked as URLPasswordsText masks it.
func URLValue(v string) string {
	if head, rest, ok := cutURLHead(v); ok {
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			if colon := strings.IndexByte(rest[:at], ':'); colon >= 0 {
				v = head + rest[:colon+1] + Placeholder + rest[at:]
			}
		}
	}
	return URLPasswordsText(v)
}

// cutURLHead splits v after the head of a URL — anything up to "://" that
// holds no white space (sqlite:postgress://…), else a scheme's letters
// (after another's and its colon, sqlite:postgres:/…) followed by ":/" or "//", one of its marks left out — and reports
// whether v has one.
func cutURLHead(v string) (head, rest string, ok bool) {
	if scheme, rest, ok := strings.Cut(v, "://"); ok && scheme != "" && !strings.ContainsAny(scheme, " \t\r\n") {
		return scheme + "://", rest, true
	}
	i := 0
	for i < len(v) && (isAlnum(v[i]) || i > 0 && strings.IndexByte("+-.", v[i]) >= 0 ||
		i > 0 && v[i] == ':' && i+1 < len(v) && isAlnum(v[i+1])) { // sqlite:postgres:/…
		i++
	}
	for _, mark := range []string{":/", "//"} {
		if i > 0 && strings.HasPrefix(v[i:], mark) {
			return v[:i+len(mark)], v[i+len(mark):], true
		}
	}
	return "", "", false
}

// mayHoldURLPassword reports whether b holds what URLPasswords masks. It
// looks only around each @ (one IndexByte over the body, as cheap as a
// scan can be), which most texts a call carries hold none of.
func mayHoldURLPassword(b []byte) bool {
	_, _, _, found := nextURLPassword(b, 0, &backScan{at: -1})
	return found
}

// maskURLPasswords is URLPasswords past its screen.
func maskURLPasswords(b []byte) ([]byte, []string) {
	var out []byte
	var hidden []string
	last := 0 // b up to here is in out already
	back := &backScan{at: -1}
	for i := 0; ; {
		from, to, next, found := nextURLPassword(b, i, back)
		if !found {
			break
		}
		out = append(append(out, b[last:from]...), Placeholder...)
		hidden = append(hidden, decodedPassword(b[from:to]))
		last, i = to, next
	}
	if hidden == nil {
		return b, nil
	}
	return append(out, b[last:]...), hidden
}

// nextURLPassword finds the first URL password (URLPasswords) at or after
// b[i], and where to look for the next. Each byte is looked at a bounded
// number of times, however many @ a text holds (an authority's, or a run
// of text without a space: back holds where the last look back stopped).
func nextURLPassword(b []byte, i int, back *backScan) (from, to, next int, found bool) {
	floor := i // a raw password begins after what was masked already
	for {
		j := bytes.IndexByte(b[i:], '@')
		if j < 0 {
			return 0, 0, len(b), false
		}
		at := i + j
		start, ok := back.authorityBefore(b, at)
		if !ok {
			// Not an authority's @ as URLs write one: maybe the end of a
			// password pasted raw, with a / ? # or space in it.
			if from, ok := rawPasswordBefore(b, at, floor); ok {
				return from, at, at + 1, true
			}
			i = at + 1
			continue
		}
		// Every @ of the authority gives the same start: looked at once.
		end := authorityEnd(b, start)
		if from, to, ok := passwordIn(b[:end], start); ok {
			return from, to, end, true
		}
		i = max(end, at+1)
		floor = i // an authority without a password: none runs through it
	}
}

// passwordIn finds the password of the authority that starts at start and
// ends b: from after the first colon to the last @, not empty and not
// masked already.
func passwordIn(b []byte, start int) (from, to int, ok bool) {
	at := bytes.LastIndexByte(b[start:], '@')
	if at < 0 {
		return 0, 0, false
	}
	at += start
	colon := bytes.IndexByte(b[start:at], ':')
	if colon < 0 {
		return 0, 0, false // a name alone
	}
	from, to = start+colon+1, at
	if from == to || string(b[from:to]) == Placeholder {
		return 0, 0, false
	}
	return from, to, true
}

// backScan remembers the last look back from an @ (authorityBefore): the
// @ it started from, and the byte that ended it (-1 for b's start).
type backScan struct{ at, stop int }

// authorityBefore finds the start of the URL authority the @ at b[at]
// stands in: back from it to the first byte no authority holds, which
// must be the last slash of "://" (or of ":\/\/", as JSON may escape it).
// A look that reaches the @ the last one started from stops where that one
// did.
func (s *backScan) authorityBefore(b []byte, at int) (start int, ok bool) {
	k := at - 1
	for k >= 0 && !endsAuthority(b, k) {
		if k == s.at {
			k = s.stop
			break
		}
		k--
	}
	s.at, s.stop = at, k
	switch {
	case k >= 2 && b[k] == '/' && b[k-1] == '/' && b[k-2] == ':':
		return k + 1, true
	case k >= 4 && b[k] == '/' && b[k-1] == '\\' && b[k-2] == '/' && b[k-3] == '\\' && b[k-4] == ':':
		return k + 1, true
	}
	return 0, false
}

// authorityEnd is where the authority that starts at start ends.
func authorityEnd(b []byte, start int) int {
	i := start
	for i < len(b) && !endsAuthority(b, i) {
		i++
	}
	return i
}

// endsAuthority reports whether b[i] cannot stand in a URL's authority as
// a text holds it: a path's, query's or fragment's start, a space or a
// control, a character no URL holds unescaped (a double quote, a brace, <
// or >: JSON's and markup's around it), a backslash — unless it opens a \u
// escape, or escapes the backslash of one (a JSON string inside another
// writes & as \\u0026), which stand for a character that may. A user
// info's own punctuation (RFC 3986's sub-delims: ' ( ) , ; and the like)
// does not end it: a password may hold it.
func endsAuthority(b []byte, i int) bool {
	switch c := b[i]; c {
	case '/', '?', '#', '"', '`', '<', '>', '{', '}', '|', '^':
		return true
	case '\\':
		rest := b[i+1:]
		return !bytes.HasPrefix(rest, []byte("u")) && !bytes.HasPrefix(rest, []byte(`\u`))
	default:
		return c <= ' ' || c == 0x7f
	}
}

// decodedPassword is p as a JSON string's content decodes, or p when it
// does not decode (a text that is not JSON).
func decodedPassword(p []byte) string {
	if bytes.IndexByte(p, '\\') < 0 {
		return string(p)
	}
	quoted := make([]byte, 0, len(p)+2)
	quoted = append(append(append(quoted, '"'), p...), '"')
	if s, ok := jsonscan.StringValue(quoted); ok {
		return s
	}
	return string(p)
}

// maxRawPassword bounds how far back from an @ a password pasted raw
// (rawPasswordBefore) is looked for: its user and scheme too.
const maxRawPassword = 256

// rawPasswordBefore finds a URL password written raw, as users paste one
// that holds a /, ?, # or space (postgres://u:pa/ss@h/db, mysql://u:p?ss@h,
// redis://:p#ss@h:6379): RFC 3986 wants them percent-encoded, and written
// so they end the authority before its @ (authorityBefore). The @ at b[at]
// ends it when, within maxRawPassword before it, a "://" (or ":\/\/") is
// followed by a user (maybe empty) holding none of them, its colon, and
// a password running to this @ that:
//   - does not begin as a port does — digits (or none) and then a / ? #
//     or space: http://host:8080/a@b and http://h:/x@y are a host and a
//     path holding an @;
//   - holds nothing a URL never holds, even pasted (a quote, a brace, a
//     control, a backslash but a \u or \/ escape: endsRaw), nor another
//     "://", nor what was masked already;
//   - holds a space only in a URL of no web scheme (a DSN: postgres,
//     mysql, redis, …), and then only with a port or a path after its
//     host (postgres://u:pa ss@h/db): prose that names a URL and then an
//     address (redis://cache:port or a@b.com) is not a password;
//
// and the @ is followed by a host (a name, an address, [an IPv6 one]),
// maybe its port, and then the authority's end: the last @ before the
// host ends the user info (u:pa/ss@x@h: "pa/ss@x"). It does not begin
// before b[min] (what was looked at already). A text that is not a URL
// stays as it is: https://example.com/a?b=c@d has no user (its / comes
// before any colon), https://h/search?q=a:b@c neither.
func rawPasswordBefore(b []byte, at, min int) (from int, ok bool) {
	hostEnd, port, ok := hostAfter(b, at+1) // first: most @ of a text are followed by none
	if !ok {
		return 0, false
	}
	lo := max(min, at-maxRawPassword)
	window := b[lo:at]
	// The last "://" before the @: a URL inside another's password is
	// that URL.
	sep, sepLen := bytes.LastIndex(window, []byte("://")), 3
	if escaped := bytes.LastIndex(window, []byte(`:\/\/`)); escaped > sep {
		sep, sepLen = escaped, 5
	}
	if sep < 0 {
		return 0, false
	}
	sep += lo
	start := sep + sepLen
	colon := -1
	for k := start; k < at; k++ {
		if b[k] == ':' {
			colon = k
			break
		}
		if b[k] == '@' || endsAuthority(b, k) {
			return 0, false // no user: a host and its path, or not a URL
		}
	}
	if colon < 0 {
		return 0, false
	}
	from = colon + 1
	pass := b[from:at]
	if len(pass) == 0 || bytes.Contains(pass, []byte(Placeholder)) {
		return 0, false
	}
	web := webScheme(b[:sep])
	spaced, special := false, false
	for k := from; k < at; k++ {
		switch c := b[k]; {
		case c == ' ':
			if web {
				return 0, false
			}
			spaced, special = true, true
		case c == '/' || c == '?' || c == '#':
			special = true
		case c == '\\' && k+1 < at && b[k+1] == '/':
			special = true
			k++ // an escaped slash, as JSON may write it
		case endsRaw(b, k):
			return 0, false
		}
	}
	if !special {
		return 0, false // authorityBefore's, or no password
	}
	digits := from
	for digits < at && b[digits] >= '0' && b[digits] <= '9' {
		digits++
	}
	if c := b[digits]; c == '/' || c == '?' || c == '#' || c == ' ' || c == '\\' {
		return 0, false // a port, and a path, query or fragment holding an @
	}
	if spaced && !port && (hostEnd >= len(b) || b[hostEnd] != '/' && b[hostEnd] != '\\') {
		return 0, false
	}
	return from, true
}

// endsRaw reports whether b[i] cannot stand in a password pasted raw in a
// URL: endsAuthority's but a / ? # or space, which rawPasswordBefore
// weighs itself.
func endsRaw(b []byte, i int) bool {
	switch b[i] {
	case '/', '?', '#', ' ':
		return false
	}
	return endsAuthority(b, i)
}

// hostAfter reads the host that starts at b[i] — a name or address of
// letters, digits, dots, hyphens and underscores, or an IPv6 address in
// brackets — and its port, if any, and reports whether the authority ends
// there (a / ? # or anything endsAuthority ends it at, or b's end), and
// where.
func hostAfter(b []byte, i int) (end int, port, ok bool) {
	k := i
	if k < len(b) && b[k] == '[' {
		close := bytes.IndexByte(b[k:], ']')
		if close < 0 {
			return 0, false, false
		}
		k += close + 1
	} else {
		for k < len(b) && (isAlnum(b[k]) || b[k] == '.' || b[k] == '-' || b[k] == '_') {
			k++
		}
	}
	if k == i {
		return 0, false, false
	}
	if k < len(b) && b[k] == ':' {
		d := k + 1
		for d < len(b) && b[d] >= '0' && b[d] <= '9' {
			d++
		}
		if d == k+1 {
			return 0, false, false
		}
		k, port = d, true
	}
	if k < len(b) && !endsAuthority(b, k) {
		return 0, false, false
	}
	return k, port, true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// webScheme reports whether the scheme b ends with is one of the web's
// (http, https, ws, wss, ftp, ftps, file), whose URLs stand in prose: a
// password of theirs holding a space is not looked for.
func webScheme(b []byte) bool {
	k := len(b)
	for k > 0 && (isAlnum(b[k-1]) || b[k-1] == '+' || b[k-1] == '-' || b[k-1] == '.') {
		k--
	}
	switch strings.ToLower(string(b[k:])) {
	case "http", "https", "ws", "wss", "ftp", "ftps", "file":
		return true
	}
	return false
}
