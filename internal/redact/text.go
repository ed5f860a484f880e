package redact

import (
	"regexp"
	"strings"
)

// Text returns s, a text a server answered (an error's details, the head of
// an unexpected body), with what looks like a credential in it replaced by
// Placeholder: a JWT (Qwen's login token), the word after Bearer or Basic,
// a Cookie header's whole value, and the value of a pair whose name is a
// secret's (token=…, "password":"…", access_key_secret: …, also quoted or
// URL-encoded). Such texts are shown to clients, logged and recorded, and a
// server that echoes the request it refused would otherwise put the
// account's token, or an upload's signing key, in all three.
func Text(s string) string {
	if !mentionsSecretWord([]byte(s)) && !strings.Contains(s, "eyJ") && !strings.Contains(s, "%") {
		return s
	}
	s = jwtPattern.ReplaceAllString(s, Placeholder)
	s = schemePattern.ReplaceAllString(s, "${1} "+Placeholder)
	s = cookieHeaderPattern.ReplaceAllString(s, "${1}"+Placeholder)
	return pairPattern.ReplaceAllStringFunc(s, func(pair string) string {
		m := pairPattern.FindStringSubmatch(pair)
		name, sep, value := m[1], m[2], m[3]
		if !SecretName(strings.Trim(name, `\"`)) || strings.Contains(value, Placeholder) || scheme[strings.ToLower(value)] {
			return pair // not a secret's, or masked already (Authorization: Bearer [REDACTED])
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
	// cookieHeaderPattern is a Cookie (or Set-Cookie) header and its value,
	// to the end of the line or of the quoted text it stands in.
	cookieHeaderPattern = regexp.MustCompile(`(?i)\b((?:set-)?cookie"?\s*:\s*"?)[^"\r\n]+`)
	// pairPattern is a name (maybe quoted, or quoted inside a JSON
	// string), a separator (= or :, maybe URL-encoded) and a value (a JSON
	// string, one escaped inside another, or a word).
	pairPattern = regexp.MustCompile(`((?:\\?")?[A-Za-z][A-Za-z0-9_.-]*(?:\\?")?)(\s*(?:[=:]|%3[dDaA])\s*)(\\"(?:[^"\\]|\\[^"])*\\"|"(?:[^"\\]|\\.)*"|[^\s"',;&<>]+)`)
)

// scheme are the Authorization schemes schemePattern masks the credential of.
var scheme = map[string]bool{"bearer": true, "basic": true}
