package accounts

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A sign-in refusal that echoes what it was sent (the password's digest,
// which signs in as well as the password) is logged and shown by accounts
// ls and doctor: the digest is masked in any framing, plain or JSON.
func TestASignInRefusalEchoingThePasswordDigestKeepsItOut(t *testing.T) {
	const password = "correct horse"
	digest := HashPassword(password)
	for _, body := range []string{
		`{"success":false,"data":{"code":"Bad_Request","details":"malformed sign-in {\"email\":\"a@b.c\",\"password\":\"` + digest + `\"}"}}`,
		`{"success":false,"data":{"code":"Bad_Request","details":"cannot read ` + digest + `"}}`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(body))
		}))
		_, err := (&Signer{BaseURL: srv.URL}).SignIn(context.Background(), Login{Email: "a@b.c", Password: password})
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("a refusal was taken: %v", err)
		}
		if strings.Contains(err.Error(), digest) || strings.Contains(err.Error(), digest[:16]) {
			t.Fatalf("the error carries the password's digest: %v", err)
		}
	}
}
