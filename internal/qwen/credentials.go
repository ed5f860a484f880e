package qwen

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Credentials authenticate the proxy to chat.qwen.ai as a browser would: the
// bx-umidtoken header value and the whole Cookie header.
type Credentials struct {
	Token   string
	Cookies string
}

// Configured reports whether both parts are present.
func (c Credentials) Configured() bool { return c.Token != "" && c.Cookies != "" }

// CredentialSource resolves the credentials to use for one upstream call.
type CredentialSource interface {
	Credentials(ctx context.Context) (Credentials, error)
}

// StaticCredentials is a CredentialSource with fixed values (environment).
type StaticCredentials Credentials

// Credentials returns the fixed values, or ErrNoCredentials.
func (s StaticCredentials) Credentials(context.Context) (Credentials, error) {
	c := Credentials(s)
	if !c.Configured() {
		return Credentials{}, ErrNoCredentials
	}
	return c, nil
}

// TokenExpiry reads the expiry of the `token` cookie, a JWT set by Qwen's
// login. It decodes the payload only; the signature is Qwen's business.
func TokenExpiry(cookies string) (time.Time, bool) {
	header := http.Header{"Cookie": {cookies}}
	c, err := (&http.Request{Header: header}).Cookie("token")
	if err != nil {
		return time.Time{}, false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(claims.Exp), 0), true
}
