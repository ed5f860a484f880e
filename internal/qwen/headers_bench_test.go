package qwen

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkSetHeaders is one upstream request's headers set, a signed-in
// account's (a call sets two: the new chat's and the completion's), the
// request built beside them. Counted in instructions:
//
//	scripts/instructions ./internal/qwen 'SetHeaders' 2000 6000
func BenchmarkSetHeaders(b *testing.B) {
	c := New(Config{BaseURL: "https://chat.example"})
	creds := Credentials{Cookies: "acw_tc=abc; token=eyJhbGciOiJIUzI1NiJ9.e30.x", Token: "umid"}
	b.ReportAllocs()
	for b.Loop() {
		r, _ := http.NewRequest(http.MethodPost, "https://chat.example/api/v2/chat/completions", strings.NewReader("{}"))
		c.setHeaders(r, creds, refererChat, "c-1")
	}
}
