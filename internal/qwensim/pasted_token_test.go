package qwensim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A pasted login token (QWEN_COOKIES, not one of the simulator's accounts)
// whose exp has passed is refused as Qwen refuses it, 401 "Token has
// expired": the simulator served it whatever its exp, so the proxy's
// handling of an expired pasted token met nothing to handle.
func TestAPastedTokenPastItsExpIsRefused(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	token := func(exp time.Time) string {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
			enc([]byte(fmt.Sprintf(`{"id":"pasted-user","exp":%d}`, exp.Unix()))) + ".c2lnbmF0dXJl"
	}
	for _, tc := range []struct {
		name   string
		exp    time.Time
		status int
	}{
		{"expired", time.Now().Add(-time.Minute), http.StatusUnauthorized},
		{"valid", time.Now().Add(time.Hour), http.StatusOK},
	} {
		status, _, body := webCall(t, srv, "/api/v2/chats/new", `{"models":["qwen3-max"],"chat_mode":"normal"}`, func(r *http.Request) {
			r.Header.Set("Cookie", "acw_tc=1; token="+token(tc.exp))
		})
		if status != tc.status || (tc.status == http.StatusUnauthorized && !strings.Contains(body, "Token has expired")) {
			t.Errorf("%s token: %d %.200s, want %d", tc.name, status, body, tc.status)
		}
	}
}
