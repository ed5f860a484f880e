package server

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"qwenproxy/internal/auth"
	"qwenproxy/internal/redact"
)

// guard answers CORS preflights and, when proxy API keys exist, admits to
// /v1 only calls with a valid key; it refuses web pages that are not the
// proxy's own (see foreignBrowserCall). Which routes need an admin key is the
// route table's admin flag (see admitted).
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cors(w, r) {
			return
		}
		keys := s.deps.Keys
		keyed := keys != nil && keys.Enabled(r.Context())
		if refused := s.foreignBrowserCall(r, keyed); refused != nil {
			writeErrorFor(w, r, refused)
			return
		}
		if !keyed || !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		presented, ok := presentedKey(r)
		id, valid := keys.Check(r.Context(), presented)
		if !ok || !valid {
			unauthorized(w, r)
			return
		}
		ctx := context.WithValue(auth.WithIdentity(r.Context(), id), presentedKeyCtx{}, presented)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type presentedKeyCtx struct{}

// presentedKeyOf is the proxy key a call was admitted with ("" without
// keys): kept for the call's record only, which must not hold it wherever
// the client put it in its body (finish, the session's first message).
func presentedKeyOf(ctx context.Context) string {
	k, _ := ctx.Value(presentedKeyCtx{}).(string)
	return k
}

// withoutKey is text, the first message that names a session, with the
// call's own key masked, and the passwords of the URLs it holds
// (redact.URLPasswords), as the call's record masks them.
func withoutKey(ctx context.Context, text string) string {
	text = redact.URLPasswordsText(text)
	if k := presentedKeyOf(ctx); len(k) >= redact.MinKnownLen {
		return strings.ReplaceAll(text, k, redact.Placeholder)
	}
	return text
}

// presentedKey is the proxy key a call carries: Authorization: Bearer, or
// x-api-key, which Anthropic clients send instead. The scheme's name is
// case-insensitive (RFC 9110 §11.1): "bearer <key>" is the same key.
func presentedKey(r *http.Request) (string, bool) {
	scheme, key, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(key), true
	}
	if key := strings.TrimSpace(r.Header.Get("X-Api-Key")); key != "" {
		return key, true
	}
	return "", false
}

// cors sets the CORS headers for allowed origins and answers preflights
// (reporting true). With no origins configured, CORS is off.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.cfg.CORSOrigins) == 0 {
		return false
	}
	allowed := slices.Contains(s.cfg.CORSOrigins, "*") || slices.Contains(s.cfg.CORSOrigins, origin)
	if !allowed {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	// Request-Id is the Messages routes' name of the call, which the
	// Anthropic SDK reads (_request_id, an error's requestID).
	h.Set("Access-Control-Expose-Headers", "X-Request-Id, Request-Id, X-Session-Id, Retry-After, X-Should-Retry")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", allowedHeaders(r.Header.Get("Access-Control-Request-Headers")))
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// corsHeaders are the request headers a preflight always allows: the
// proxy's own and the SDKs' (keys, Anthropic's versions and betas).
const corsHeaders = "Authorization, Content-Type, X-Session-Id, X-Record-Bodies, " +
	"X-Api-Key, Anthropic-Version, Anthropic-Beta, Anthropic-Dangerous-Direct-Browser-Access"

// allowedHeaders answers a preflight of an allowed origin: corsHeaders and
// whichever other headers it asks for. The OpenAI and Anthropic SDKs send
// headers of their own on every call in a browser (X-Stainless-Lang,
// X-Stainless-Retry-Count, …, Idempotency-Key): a fixed list refused those
// calls before they were made. The origin is what CORS checks; a header
// name that is not a token is left out.
func allowedHeaders(requested string) string {
	out := corsHeaders
	for name := range strings.SplitSeq(requested, ",") {
		name = strings.TrimSpace(name)
		if name != "" && headerName.MatchString(name) {
			out += ", " + name
		}
	}
	return out
}

var headerName = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)
