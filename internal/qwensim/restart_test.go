package qwensim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A restarted simulator (serve --mock-upstream run again on the same
// database) is given the tokens the previous one issued, which the proxy
// stored. It served them as a pasted cookie's, no account's, so a rate
// limit or an expiry set on the account afterwards did nothing; it refuses
// them as Qwen refuses a token it cannot verify, and its own are served.
func TestATokenAnotherSimulatorIssuedIsRefused(t *testing.T) {
	signIn := func(srv *Server) string { return signedIn(t, srv, "a@x.io", "right") }
	newChat := func(srv *Server, token string) (int, string) {
		st, _, b := webCall(t, srv, "/api/v2/chats/new", `{"chatId":"","models":["qwen3-max"],"project_id":"","timestamp":1,"chat_type":"t2t","chat_mode":"normal"}`,
			func(r *http.Request) { r.Header.Set("Cookie", "token="+token) })
		return st, b
	}
	var sims [2]*Server
	for i := range sims {
		srv, err := Start(Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		srv.AddAccount("a@x.io", "right")
		sims[i] = srv
	}
	before := signIn(sims[0])
	if st, b := newChat(sims[1], before); st != http.StatusUnauthorized || !strings.Contains(b, "Invalid token") {
		t.Fatalf("the previous run's token: %d %s", st, b)
	}
	if st, b := newChat(sims[1], signIn(sims[1])); st != http.StatusOK {
		t.Fatalf("its own token: %d %s", st, b)
	}
	if st, b := newChat(sims[1], strings.TrimPrefix(LoginCookie(), "token=")); st != http.StatusOK {
		t.Fatalf("a pasted cookie's token: %d %s", st, b)
	}
}

// signedIn signs email in at srv, as the web client does, and returns its
// token.
func signedIn(t *testing.T, srv *Server, email, password string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(password))
	_, _, b := webCall(t, srv, "/api/v1/auths/signin", `{"email":"`+email+`","password":"`+hex.EncodeToString(sum[:])+`"}`, nil)
	var v struct{ Token string }
	if json.Unmarshal([]byte(b), &v); v.Token == "" {
		t.Fatalf("sign-in: %s", b)
	}
	return v.Token
}
