package redact

import (
	"net/url"
	"strings"
)

// URL returns u, an http(s) URL a client sent (an image's), with its
// credentials replaced by Placeholder: the password of its user info
// (https://user:pass@host/…) and the values of query parameters that are
// credentials — those SecretName names (X-Amz-Security-Token,
// X-Amz-Credential, access_token), and signatures (X-Amz-Signature,
// Signature, sig), which let whoever holds them read the object until they
// expire. Every other byte is kept, so the URL still says what was fetched.
// Anything but an http(s) URL is returned as it is.
func URL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") {
		return u
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		if user, _, hasPassword := strings.Cut(authority[:at], ":"); hasPassword {
			authority = user + ":" + Placeholder + authority[at:]
		}
	}
	path, query, hasQuery := strings.Cut(tail, "?")
	if !hasQuery {
		return scheme + "://" + authority + tail
	}
	query, fragment, hasFragment := strings.Cut(query, "#")
	pairs := strings.Split(query, "&")
	for i, pair := range pairs {
		name, _, hasValue := strings.Cut(pair, "=")
		if decoded, err := url.QueryUnescape(name); err == nil {
			name = decoded
		}
		if hasValue && credentialParam(name) {
			pairs[i] = pair[:strings.IndexByte(pair, '=')+1] + Placeholder
		}
	}
	out := scheme + "://" + authority + path + "?" + strings.Join(pairs, "&")
	if hasFragment {
		out += "#" + fragment
	}
	return out
}

// credentialParam reports whether a query parameter's value is a
// credential: a secret's name, or a signature's.
func credentialParam(name string) bool {
	if SecretName(name) {
		return true
	}
	words := splitWords(name)
	if len(words) == 0 {
		return false
	}
	last := words[len(words)-1]
	return last == "signature" || last == "sig"
}
