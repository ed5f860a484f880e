package server

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"qwenproxy/internal/openai"
)

// Without API keys nothing a caller sends proves who it is, so any web page
// the person opens could use the proxy: its Qwen account, and the recorded
// history. Browsers make two such calls that this refuses:
//
//   - a cross-origin request that needs no preflight (a POST with no
//     Content-Type, fetch's mode "no-cors"): it makes its call even though
//     the page cannot read the answer. Browsers name the page in Origin;
//     only the proxy's own pages (the dashboard) and CORS_ORIGINS may call.
//     With keys this does not apply: a page has no key to send.
//   - DNS rebinding: a page's own host name, re-pointed at 127.0.0.1, makes
//     its requests same-origin, so it reads the answers too. Its requests
//     carry that name in Host; on a loopback address the proxy answers only
//     "localhost" and IP addresses. This applies with keys too: /health/detailed
//     and /metrics need none, and name the Qwen accounts' e-mail addresses.

// foreignBrowserCall returns the refusal of r, or nil to serve it. keyed
// says whether proxy keys exist.
func (s *Server) foreignBrowserCall(r *http.Request, keyed bool) *openai.Error {
	if s.cfg.LoopbackOnly && !loopbackHostName(r.Host) && !slices.Contains(s.cfg.AllowedHosts, hostName(r.Host)) {
		return &openai.Error{Status: http.StatusForbidden, Type: "permission_error", Code: "host_not_allowed",
			Message: fmt.Sprintf("on a loopback address this proxy answers only requests addressed to localhost (or a name under .localhost), an IP address or a name in ALLOWED_HOSTS, not to %q (a web page could reach it under its own name: DNS rebinding); call it as 127.0.0.1, or add the name to ALLOWED_HOSTS (a reverse proxy's own)", clip(r.Host))}
	}
	origin := r.Header.Get("Origin")
	if keyed || origin == "" || sameOrigin(origin, r.Host) || slices.Contains(s.cfg.CORSOrigins, "*") || slices.Contains(s.cfg.CORSOrigins, origin) {
		return nil
	}
	return &openai.Error{Status: http.StatusForbidden, Type: "permission_error", Code: "origin_not_allowed",
		Message: fmt.Sprintf("this proxy has no API keys, so a web page from %q may not call it (only its own pages and CORS_ORIGINS may); add the origin to CORS_ORIGINS, or set API_KEYS", clip(origin))}
}

// sameOrigin reports whether origin names the host the request was sent to
// (the dashboard's own calls).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && strings.EqualFold(u.Host, host)
}

// loopbackHostName reports whether a Host header names this machine in a way
// a web page cannot take over: an IP address, or localhost (which browsers
// resolve to loopback themselves). An HTTP/1.0 request may name no host
// (a probe's); browsers always name one.
func loopbackHostName(host string) bool {
	if host == "" {
		return true
	}
	host = hostName(host)
	if net.ParseIP(host) != nil {
		return true
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// hostName is a Host header's name: its port and an IPv6 address's
// brackets taken off, lower-cased, without a final dot.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.ToLower(strings.TrimSuffix(host, "."))
}
