package qwen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// An upstream that answers a call with a redirect to another address does
// not get the call sent there: Go's client follows a redirect to another
// port of the same host with the Authorization and Cookie headers (it
// drops them only for another host name), and to any host with the
// bx-umidtoken and the body (a 307 or 308 resends it). Every call the
// client makes — a chat's creation, a completion, the model list, a chat's
// deletion, a document's parse, an upload token and the object store's
// put — stays at the address it was made to, and fails saying why.
func TestARedirectIsNotFollowedWithTheCredentials(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6ImEiLCJleHAiOjQxMDI0NDQ4MDB9.SIGsecretJWT"
	var mu sync.Mutex
	var leaked []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = append(leaked, r.Method+" "+r.URL.Path+" Cookie="+r.Header.Get("Cookie")+" bx-umidtoken="+r.Header.Get("Bx-Umidtoken")+
			" Authorization="+r.Header.Get("Authorization")+" x-oss-security-token="+r.Header.Get("X-Oss-Security-Token"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"success":true,"data":{"id":"chat-elsewhere","data":[]}}`))
	}))
	defer elsewhere.Close()
	redirect := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}
	store := httptest.NewServer(http.HandlerFunc(redirect))
	defer store.Close()
	// Qwen's own answers: an upload token naming the store (which
	// redirects); every other call redirected.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/files/getstsToken") {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"success":true,"data":{"access_key_id":"STS.id","access_key_secret":"ossSECRET","security_token":"stsSECRET",` +
				`"bucketname":"qwen-bucket","region":"oss-ap-southeast-1","endpoint":"` + store.URL + `","file_id":"f","file_path":"u/f.png","file_url":"` + store.URL + `/qwen-bucket/u/f.png"}}`))
			return
		}
		redirect(w, r)
	}))
	defer srv.Close()
	c := New(Config{BaseURL: srv.URL, Credentials: StaticCredentials{Token: "umidSECRET", Cookies: "token=" + jwt}, Timeout: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The object store's own answer to the put (a 307 it does not
	// follow either) is told as the store's refusal.
	calls := []struct {
		name string
		call func() error
	}{
		{"new chat", func() error { _, _, err := c.NewChat(ctx, "m"); return err }},
		{"completion", func() error { return complete(c) }},
		{"model list", func() error { _, err := c.Models(ctx); return err }},
		{"chat deletion", func() error { return c.DeleteChat(ctx, "chat-1") }},
		{"document", func() error {
			_, _, err := c.UploadDocument(ctx, "chat-1", "a.txt", "text/plain", []byte("text"))
			return err
		}},
		{"image upload", func() error { _, _, err := c.Upload(ctx, "chat-1", "cat.png", "image/png", []byte("png")); return err }},
	}
	for _, tc := range calls {
		err := tc.call()
		if err == nil {
			t.Errorf("%s: a redirect was taken for an answer", tc.name)
		} else if !strings.Contains(err.Error(), "redirect") && !strings.Contains(err.Error(), "object store") {
			t.Errorf("%s: the failure does not say Qwen redirected the call: %v", tc.name, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, l := range leaked {
		t.Errorf("a redirect was followed to another address: %s", l)
	}
}
