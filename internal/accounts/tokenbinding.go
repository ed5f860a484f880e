package accounts

import (
	"net/url"
	"strings"
)

// A token shared through the store (SaveAccountToken) is the account's at
// one upstream, QWEN_BASE_URL: a token the simulator issued (serve
// --mock-upstream, then serve for real, on the same database) must never be
// sent to chat.qwen.ai, nor chat.qwen.ai's to another upstream. The sealed
// value names its upstream first, as a cookie of its own: an instance from
// before the binding that adopts it sends a Cookie header Qwen reads as
// before, the extra cookie aside.
const upstreamCookie = "qwenproxy_upstream="

// bindToken is the value sealed for a token of cookies (a Cookie header)
// signed in at upstream.
func bindToken(cookies, upstream string) string {
	return upstreamCookie + upstreamName(upstream) + "; " + cookies
}

// unbindToken returns the cookies of a value bindToken made for upstream;
// ok is false for a token of another upstream, or one stored before the
// binding (which names none): such a token is not adopted, and the account
// signs in afresh.
func unbindToken(plain, upstream string) (cookies string, ok bool) {
	rest, ok := strings.CutPrefix(plain, upstreamCookie)
	if !ok {
		return "", false
	}
	issuer, cookies, ok := strings.Cut(rest, "; ")
	if !ok || issuer != upstreamName(upstream) {
		return "", false
	}
	return cookies, true
}

// upstreamName is upstream as a cookie's value, a trailing slash aside.
func upstreamName(upstream string) string {
	return url.QueryEscape(strings.TrimRight(upstream, "/"))
}
