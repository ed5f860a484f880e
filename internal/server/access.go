package server

import (
	"net/http"
	"slices"
	"strings"

	"qwenproxy/internal/auth"
)

// guard answers CORS preflights and, when proxy API keys exist, admits to
// /v1 only calls with a valid key. Which routes need an admin key is the
// route table's admin flag (see admitted).
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cors(w, r) {
			return
		}
		keys := s.deps.Keys
		if keys == nil || !strings.HasPrefix(r.URL.Path, "/v1/") || !keys.Enabled(r.Context()) {
			next.ServeHTTP(w, r)
			return
		}
		presented, ok := presentedKey(r)
		id, valid := keys.Check(r.Context(), presented)
		if !ok || !valid {
			unauthorized(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithIdentity(r.Context(), id)))
	})
}

// presentedKey is the proxy key a call carries: Authorization: Bearer, or
// x-api-key, which Anthropic clients send instead.
func presentedKey(r *http.Request) (string, bool) {
	if key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
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
	h.Set("Access-Control-Expose-Headers", "X-Request-Id, X-Session-Id, Retry-After, X-Should-Retry")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Session-Id, X-Record-Bodies, "+
		"X-Api-Key, Anthropic-Version, Anthropic-Beta, Anthropic-Dangerous-Direct-Browser-Access")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}
