package qwen

import "net/http"

// canonicalHeader is h.Get(key) for a key already in canonical form (as
// every name the qwen package reads is written): Get canonicalises its key
// anew on every call (a check of each byte, ~250 instructions), and a call
// reads some twenty headers on its path. The maps net/http fills for
// requests and responses hold their keys in canonical form, so the map
// read finds what Get finds.
func canonicalHeader(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
