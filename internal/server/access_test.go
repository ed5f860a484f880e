package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"qwenproxy/internal/auth"
)

// The Authorization scheme's name is case-insensitive: a client that sends
// "bearer <key>" (or "BEARER") presents its key, which was refused with a
// 401 saying a key is required. Other schemes still present none.
func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	keys, err := auth.New(context.Background(), []string{"user-key"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, Deps{Keys: keys})
	var seen auth.Identity
	h := s.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = auth.FromContext(r.Context()) }))
	for _, tc := range []struct {
		header string
		want   int
	}{
		{"Bearer user-key", http.StatusOK},
		{"bearer user-key", http.StatusOK},
		{"BEARER  user-key ", http.StatusOK},
		{"Basic user-key", http.StatusUnauthorized},
		{"Bearer other-key", http.StatusUnauthorized},
		{"Beareruser-key", http.StatusUnauthorized},
	} {
		seen = auth.Identity{}
		req := httptest.NewRequest(http.MethodGet, "/v1/models", nil)
		req.Header.Set("Authorization", tc.header)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want || (tc.want == http.StatusOK && seen.KeyID == "") {
			t.Errorf("Authorization: %q: %d (identity %q), want %d", tc.header, rec.Code, seen.KeyID, tc.want)
		}
	}
}
