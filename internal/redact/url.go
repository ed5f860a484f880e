package redact

import (
	"net/url"
	"strings"
)

// URL returns u, an http(s) URL a client sent (an image's), with its
// credentials replaced by Placeholder: the password of its user info
// (https://user:pass@host/…), or the user info whole when it is a name
// alone (https://<token>@host/…, as GitHub and GitLab tokens are sent: a
// name without a password authenticates nothing else), and the values of
// parameters that are credentials, in the query or the fragment (OAuth's
// implicit grant returns #access_token=…), separated by & or ; — those
// SecretName names (X-Amz-Security-Token, X-Amz-Credential, access_token),
// and signatures (X-Amz-Signature, Signature, sig), which let whoever holds
// them read the object until they expire. Every other byte is kept, so the
// URL still says what was fetched. Anything but an http(s) URL is returned
// as it is.
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
		} else if at > 0 {
			authority = Placeholder + authority[at:]
		}
	}
	tail, fragment, hasFragment := strings.Cut(tail, "#")
	path, query, hasQuery := strings.Cut(tail, "?")
	out := scheme + "://" + authority + path
	if hasQuery {
		out += "?" + maskedParams(query)
	}
	if hasFragment {
		out += "#" + maskedParams(fragment)
	}
	return out
}

// maskedParams is a query's (or fragment's) name=value pairs, separated
// by & or ;, with the values of credentials replaced by Placeholder.
func maskedParams(params string) string {
	var b strings.Builder
	for params != "" {
		pair, sep := params, ""
		if i := strings.IndexAny(params, "&;"); i >= 0 {
			pair, sep, params = params[:i], params[i:i+1], params[i+1:]
		} else {
			params = ""
		}
		raw, _, hasValue := strings.Cut(pair, "=")
		name := raw
		if decoded, err := url.QueryUnescape(raw); err == nil {
			name = decoded
		}
		if hasValue && credentialParam(name) {
			pair = raw + "=" + Placeholder
		}
		b.WriteString(pair)
		b.WriteString(sep)
	}
	return b.String()
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
