package server

import (
	"context"
	"net/http"
	"time"

	"qwenproxy/internal/qwen"
)

type credentialState struct {
	Configured     bool       `json:"configured"`
	TokenExpiresAt *time.Time `json:"token_expires_at"`
	TokenExpired   *bool      `json:"token_expired,omitempty"`
}

// credentialState describes the configured credentials, never their values.
func (s *Server) credentialState(ctx context.Context) credentialState {
	creds, err := s.deps.Credentials.Credentials(ctx)
	if err != nil {
		return credentialState{}
	}
	st := credentialState{Configured: true}
	if exp, ok := qwen.TokenExpiry(creds.Cookies); ok {
		expired := !s.now().Before(exp)
		st.TokenExpiresAt, st.TokenExpired = &exp, &expired
	}
	return st
}

// health serves GET /health: 200 as soon as the server accepts calls.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"status":         "ok",
		"uptime_seconds": int64(s.now().Sub(s.started).Seconds()),
		"credentials":    s.credentialState(r.Context()),
	})
}

// ready serves GET /health/ready: 503 unless the database answers and
// credentials are configured.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "credentials": "ok"}
	status := http.StatusOK
	if err := s.deps.Store.Ping(ctx); err != nil {
		checks["database"], status = "unavailable", http.StatusServiceUnavailable
	}
	if !s.credentialState(ctx).Configured {
		checks["credentials"], status = "not_configured", http.StatusServiceUnavailable
	}
	state := "ready"
	if status != http.StatusOK {
		state = "not_ready"
	}
	writeJSON(w, status, map[string]any{"status": state, "checks": checks})
}
