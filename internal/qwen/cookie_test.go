package qwen

import (
	"net/http"
	"testing"
)

// requestCookie is how cookieValue was written before it passed over other
// cookies unparsed: net/http reading the whole header.
func requestCookie(header, name string) string {
	c, err := (&http.Request{Header: http.Header{"Cookie": {header}}}).Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

var cookieCases = []string{
	"", "token=a", "x=1; token=abc; y=2", " token = abc ", "token", "token=; token=b",
	`token="quoted"`, `token="a"b"; token=c`, "token=a\\b; token=ok", "\ttoken=t;token=u",
	"tok=1; token2=2; token=3", "a;;token=z;", "token=a b", "token=é; token=ascii", "\vtoken=v",
}

func TestCookieValueAgreesWithNetHTTP(t *testing.T) {
	for _, h := range cookieCases {
		if got, want := cookieValue(h, "token"), requestCookie(h, "token"); got != want {
			t.Errorf("cookieValue(%q) = %q, want %q", h, got, want)
		}
	}
}

func FuzzCookieValue(f *testing.F) {
	for _, h := range cookieCases {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if got, want := cookieValue(header, "token"), requestCookie(header, "token"); got != want {
			t.Errorf("cookieValue(%q) = %q, want %q", header, got, want)
		}
	})
}

func TestCookieValueAllocatesNothing(t *testing.T) {
	h := "acw_tc=1; token=abc.def.ghi; x=y"
	if n := testing.AllocsPerRun(100, func() { _ = cookieValue(h, "token") }); n != 0 {
		t.Errorf("cookieValue allocates %v times a call", n)
	}
}
