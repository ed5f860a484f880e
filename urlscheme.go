package qwenproxy

import "strings"

// HasScheme reports whether the URL u begins with scheme and its colon
// ("data" for data:image/png;base64,…), the scheme compared without case:
// RFC 3986 §3.1 makes schemes case-insensitive, so "DATA:image/png;…" is a
// data: URL, as browsers and OpenAI read it.
func HasScheme(u, scheme string) bool {
	return len(u) > len(scheme) && u[len(scheme)] == ':' && strings.EqualFold(u[:len(scheme)], scheme)
}

// IsDataURL reports whether u is a data: URL (RFC 2397), its scheme in any
// case.
func IsDataURL(u string) bool { return HasScheme(u, "data") }

// IsWebURL reports whether u is an http:// or https:// URL, its scheme in
// any case: the URLs an image or a document may be fetched from.
func IsWebURL(u string) bool {
	for _, scheme := range [...]string{"http", "https"} {
		if HasScheme(u, scheme) && strings.HasPrefix(u[len(scheme)+1:], "//") {
			return true
		}
	}
	return false
}
