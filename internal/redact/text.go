package redact

import (
	"regexp"
	"strings"
)

// Text returns s, a text a server answered (an error's details, the head of
// an unexpected body), with what looks like a credential in it replaced by
// Placeholder: a JWT (Qwen's login token), the word after Bearer or Basic,
// a Cookie header's whole value in whatever form it is echoed (a header
// line, JSON, Python's repr, key=value: see maskCookieHeaders), and the
// value of a pair whose name is a secret's (token=…, "password":"…",
// access_key_secret: …, also quoted or URL-encoded). Such texts are shown
// to clients, logged and recorded, and a server that echoes the request it
// refused would otherwise put the account's token, or an upload's signing
// key, in all three. So is a URL's password (URLPasswords): a refusal
// that quotes the client's text quotes the connection strings it holds.
// The values a caller knows to be secret (the cookies it sent, a password)
// are masked by Known, whatever their context.
func Text(s string) string {
	s = URLPasswordsText(s)
	if !mentionsSecretWord([]byte(s)) && !strings.Contains(s, "eyJ") && !strings.Contains(s, "%") {
		return s
	}
	s = jwtPattern.ReplaceAllString(s, Placeholder)
	s = schemePattern.ReplaceAllString(s, "${1} "+Placeholder)
	s = maskCookieHeaders(s)
	return pairPattern.ReplaceAllStringFunc(s, func(pair string) string {
		m := pairPattern.FindStringSubmatch(pair)
		name, sep, value := m[1], m[2], m[3]
		if !SecretName(strings.Trim(name, `\"`)) {
			if strings.HasPrefix(value, `"`) && strings.Contains(value, `\"`) {
				// A JSON string holding JSON (a tool call's arguments):
				// the pairs inside it, which this match took whole.
				return name + sep + `"` + Text(value[1:len(value)-1]) + `"`
			}
			return pair // not a secret's
		}
		if strings.Contains(value, Placeholder) || scheme[strings.ToLower(value)] {
			return pair // masked already (Authorization: Bearer [REDACTED])
		}
		switch {
		case strings.HasPrefix(value, `\"`): // a JSON string inside a JSON string
			return name + sep + `\"` + Placeholder + `\"`
		case strings.HasPrefix(value, `"`):
			return name + sep + `"` + Placeholder + `"`
		}
		return name + sep + Placeholder
	})
}

var (
	// jwtPattern is a JSON Web Token: base64url of "{"…, a dot, the
	// payload, and a signature.
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?`)
	// schemePattern is an Authorization value: its scheme and credential.
	schemePattern = regexp.MustCompile(`(?i)\b(bearer|basic)(?:\s+|%20|\+)[^\s"',;&<>]+`)
	// cookieNamePattern is a Cookie (or Set-Cookie) header's name and the
	// separator after it, as any echo frames it: a header line (Cookie: …),
	// JSON ("Cookie": "…", also escaped inside a JSON string), Python's
	// repr ('Cookie': '…'), a key=value pair (Cookie=…, also URL-encoded).
	cookieNamePattern = regexp.MustCompile(`(?i)\b(?:set-)?cookie(?:\\?["'])?\s*(?:[:=]|%3[dDaA])\s*`)
	// pairPattern is a name (maybe quoted, or quoted inside a JSON
	// string), a separator (= or :, maybe URL-encoded) and a value (a JSON
	// string, one escaped inside another, or a word). A string escaped
	// inside another reads its own escapes escaped again: \\\" a quote it
	// holds, \\\\ a backslash, \\\/ or \\/ a slash (ab"c\d is \"ab\\\"c\\\\d\"),
	// each taken whole;
	// until 2026-12-06 the value ended at its first such quote, and the
	// rest of it was left after the placeholder.
	pairPattern = regexp.MustCompile(`((?:\\?")?[A-Za-z][A-Za-z0-9_.-]*(?:\\?")?)(\s*(?:[=:]|%3[dDaA])\s*)(\\"(?:[^"\\]|\\\\(?:\\.|[^"\\])|\\[^"\\])*\\"|"(?:[^"\\]|\\.)*"|[^\s"',;&<>]+)`)
)

// scheme are the Authorization schemes schemePattern masks the credential of.
var scheme = map[string]bool{"bearer": true, "basic": true}

// maskCookieHeaders replaces the value of every Cookie (or Set-Cookie)
// header in s (cookieNamePattern) by Placeholder: a quoted value ("…", '…',
// \"…\") to its closing quote, an unquoted one to the end of its line or
// the quote or backslash that ends the text it stands in (no cookie holds
// one). The whole value goes, whatever it holds: a cookie the proxy does not
// know it sent (one Qwen set on the connection) is as secret as the token.
func maskCookieHeaders(s string) string {
	found := cookieNamePattern.FindAllStringIndex(s, -1)
	if found == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range found {
		if m[0] < last {
			continue // inside a value already masked
		}
		start := m[1]
		quote := ""
		switch {
		case strings.HasPrefix(s[start:], `\"`), strings.HasPrefix(s[start:], `\'`):
			quote = s[start : start+2]
		case strings.HasPrefix(s[start:], `"`), strings.HasPrefix(s[start:], `'`):
			quote = s[start : start+1]
		}
		from := start + len(quote)
		end := len(s)
		if quote != "" {
			if i := strings.Index(s[from:], quote); i >= 0 {
				end = from + i
			}
			if i := strings.IndexAny(s[from:end], "\r\n"); i >= 0 {
				end = from + i
			}
		} else {
			end = from + unquotedCookiesEnd(s[from:])
		}
		if end == from || s[from:end] == Placeholder {
			continue // nothing, or masked already
		}
		b.WriteString(s[last:from])
		b.WriteString(Placeholder)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// unquotedCookiesEnd is the length of the cookies an unquoted Cookie value
// starts s with: up to a quote, a backslash or a line's end (no cookie holds
// one), or a space that does not follow the "; " between two cookies — what
// comes after it is the text around the echo, not the header ("Cookie=a=1;
// b=2 headers={…}").
func unquotedCookiesEnd(s string) int {
	afterSemicolon := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"', '\'', '\\', '\r', '\n':
			return i
		case ' ', '\t':
			if !afterSemicolon {
				return i
			}
		case ';':
			afterSemicolon = true
		default:
			afterSemicolon = false
		}
	}
	return len(s)
}
