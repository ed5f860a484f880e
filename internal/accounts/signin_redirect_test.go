package accounts

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A sign-in answered with a redirect to another address is not sent there:
// a 307 or 308 resends the body, the password's digest (which signs in as
// well as the password), and Go's client follows it to another port of the
// same host, or to any host, whatever the client's own redirect policy. It
// fails as a refusal that is not the password's, saying why.
func TestASignInIsNotRedirectedElsewhere(t *testing.T) {
	const password = "correct horse"
	var leaked atomic.Value
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		leaked.Store(r.Method + " " + r.URL.Path + " " + string(b))
		w.Write([]byte(`{"success":true,"token":"eyJhbGciOiJIUzI1NiJ9.eyJpZCI6ImEiLCJleHAiOjQxMDI0NDQ4MDB9.sig"}`))
	}))
	defer elsewhere.Close()
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+r.URL.Path, code)
		}))
		// The server's signer (app.Signer) and one without a client of its
		// own (http.DefaultClient) alike.
		for _, s := range []*Signer{{BaseURL: srv.URL, HTTP: &http.Client{}}, {BaseURL: srv.URL}} {
			_, err := s.SignIn(context.Background(), Login{Email: "a@b.c", Password: password})
			var se *SignInError
			if err == nil || !strings.Contains(err.Error(), "redirect") {
				t.Errorf("HTTP %d: the sign-in does not fail saying it was redirected: %v", code, err)
			} else if !errors.As(err, &se) || se.Class == ClassAuth {
				t.Errorf("HTTP %d: a redirect is taken for a refused password: %v", code, err)
			}
		}
		srv.Close()
		if l, ok := leaked.Load().(string); ok {
			t.Fatalf("HTTP %d: the sign-in was sent to another address: %s", code, l)
		}
	}
}
