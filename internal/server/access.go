package server

import (
	"net/http"
	"slices"
	"strings"

	"qwenproxy/internal/auth"
	"qwenproxy/internal/openai"
)

// guard answers CORS preflights and, when proxy API keys exist, admits to
// /v1 only calls with a valid key (and to the history routes and deletes,
// when admin keys exist, only admin keys).
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
			w.Header().Set("WWW-Authenticate", `Bearer realm="qwenproxy"`)
			writeErrorFor(w, r, &openai.Error{Status: http.StatusUnauthorized, Type: openai.TypeAuthentication, Code: "invalid_api_key",
				Message: "a valid proxy API key is required: Authorization: Bearer <key> (or x-api-key: <key>)"})
			return
		}
		if adminRoute(r) && !id.Admin && keys.AdminRequired(r.Context()) {
			writeErrorFor(w, r, &openai.Error{Status: http.StatusForbidden, Type: "permission_error", Code: "admin_key_required",
				Message: "the history routes and deletes need an admin API key"})
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

// adminRoute is the history API and every delete.
func adminRoute(r *http.Request) bool {
	if responsesModelRoute(r) {
		return false
	}
	if r.Method == http.MethodDelete {
		return true
	}
	for _, p := range []string{"/v1/sessions", "/v1/requests", "/v1/responses", "/v1/stats", "/v1/export"} {
		if r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
			return true
		}
	}
	return false
}

// responsesModelRoute is a route of the Responses API, open to any valid
// key: POST /v1/responses, and GET|DELETE /v1/responses/resp_… (with
// /input_items), where a key sees only its own responses. GET /v1/responses,
// /v1/responses/stats and /v1/responses/{numeric id} are the history's.
func responsesModelRoute(r *http.Request) bool {
	if r.URL.Path == "/v1/responses" {
		return r.Method == http.MethodPost
	}
	return strings.HasPrefix(r.URL.Path, "/v1/responses/resp_")
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
	h.Set("Access-Control-Expose-Headers", "X-Request-Id, X-Session-Id, Retry-After")
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
