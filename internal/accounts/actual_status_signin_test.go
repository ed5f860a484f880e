package accounts

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A sign-in refused with HTTP 200 and its status in x-actual-status-code —
// the form Qwen gives most failures (qwen-wire.md §5; S7 shows the header on
// every answer), which the client reads on every other call — is classed by
// that status: a wrong password takes the account out (it was retried after
// each cooldown as a sign-in answer "without a token", trying a refused
// password again and again), a rate limit rests it.
func TestASignInRefusalReadsTheActualStatus(t *testing.T) {
	for _, tc := range []struct {
		name, actual, body string
		class              Class
	}{
		{"wrong password", "401", `{"detail":"The email or password provided is incorrect. Please check for typos and try logging in again."}`, ClassAuth},
		{"rate limited", "429", `{"detail":"Too many sign-ins, try again later"}`, ClassRateLimited},
		{"forbidden", "403", `{"detail":"Forbidden"}`, ClassForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Actual-Status-Code", tc.actual)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			_, err := (&Signer{BaseURL: srv.URL}).SignIn(context.Background(), Login{"a@x.io", "wrong"})
			var se *SignInError
			if !errors.As(err, &se) || se.Class != tc.class {
				t.Fatalf("sign-in: %v, want class %s", err, tc.class)
			}
		})
	}
	// A success says 200 there, and is one.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Actual-Status-Code", "200")
		io.WriteString(w, `{"token":"h.eyJleHAiOjQxMDI0NDQ4MDB9.s"}`)
	}))
	defer srv.Close()
	if got, err := (&Signer{BaseURL: srv.URL}).SignIn(context.Background(), Login{"a@x.io", "right"}); err != nil || got.Expires.IsZero() {
		t.Fatalf("success: %+v, %v", got, err)
	}
}
