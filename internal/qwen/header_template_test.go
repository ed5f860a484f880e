package qwen

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// setHeadersKeyByKey is setHeaders as it was before the template: the
// caller's headers, then the fixed ones over them, then the credentials',
// set key by key into a fresh map (its request id and timezone given:
// the ones the request got). The wire a request carries is held to it.
func (c *Client) setHeadersKeyByKey(r *http.Request, creds Credentials, page, chatID, requestID, timezone string) {
	h := make(http.Header, len(r.Header)+len(c.fixed)+perRequestHeaders)
	for k, v := range r.Header {
		h[k] = v
	}
	for k, v := range c.fixed {
		h[k] = v
	}
	r.Header = h
	sig := signedBy(creds)
	if sig.cookie != nil {
		h["Cookie"] = sig.cookie
	}
	if sig.authorization != nil {
		h["Authorization"] = sig.authorization
	}
	if sig.umidToken != nil {
		h["Bx-Umidtoken"] = sig.umidToken
	}
	if r.Body != nil {
		h["Content-Type"] = jsonContentType
	}
	h["X-Request-Id"] = []string{requestID}
	h["Timezone"] = []string{timezone}
	h["Referer"] = []string{c.referer(page, chatID, sig.chatMode == ChatModeGuest)}
}

// A request's headers, cloned from its credentials' template, are on the
// wire byte for byte those the key-by-key builder gave it, for every set of
// credentials (a signed-in cookie, a bare token, bx-umidtoken or not, none),
// with a body and without, from each page, under the default User-Agent
// and another, over headers its caller had set (some of which the template
// replaces) — and again for a second request of the same credentials, which
// clones the template the first built.
func TestTemplateHeadersAreTheKeyByKeyOnes(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6InUxIn0.sig"
	credentials := map[string]Credentials{
		"signed in":        {Cookies: "acw_tc=abc; token=" + jwt, Token: "umid-1"},
		"signed in, umid-": {Cookies: "token=" + jwt},
		"bare token":       {Token: jwt},
		"guest cookie":     {Cookies: "acw_tc=abc; cna=x"},
		"guest, umid":      {Cookies: "acw_tc=abc", Token: "umid-2"},
		"none":             {},
	}
	callerHeaders := map[string]http.Header{
		"none":                 nil,
		"its own":              {"X-Own": {"1"}, "Accept-Encoding": {"gzip"}},
		"some the proxy sets":  {"Cookie": {"old=1"}, "Accept": {"text/plain"}, "Referer": {"x"}, "Content-Type": {"text/plain"}},
		"credentials' headers": {"Authorization": {"Basic x"}, "Bx-Umidtoken": {"old"}},
	}
	for _, ua := range []string{"", "curl/8"} {
		c := New(Config{BaseURL: "https://chat.example", UserAgent: ua})
		for cname, creds := range credentials {
			for hname, preset := range callerHeaders {
				for _, body := range []bool{true, false} {
					for _, page := range [][2]string{{refererNewChat, ""}, {refererChat, "c-1"}, {refererChat, ""}} {
						for round := range 2 {
							var rb io.Reader
							if body {
								rb = strings.NewReader("{}")
							}
							got, _ := http.NewRequest(http.MethodPost, "https://chat.example/x", rb)
							want, _ := http.NewRequest(http.MethodPost, "https://chat.example/x", rb)
							got.Header, want.Header = preset.Clone(), preset.Clone()
							before := time.Now()
							c.setHeaders(got, creds, page[0], page[1])
							tz := got.Header.Get("Timezone")
							if tz != browserTimezone(before) && tz != browserTimezone(time.Now()) {
								t.Fatalf("timezone %q, not now's", tz)
							}
							c.setHeadersKeyByKey(want, creds, page[0], page[1], got.Header.Get("X-Request-Id"), tz)
							var g, w bytes.Buffer
							got.Header.Write(&g)
							want.Header.Write(&w)
							if g.String() != w.String() || len(got.Header) != len(want.Header) {
								t.Fatalf("UA %q, %s, caller's %s, body %v, page %v, request %d:\n%s\nwant\n%s", ua, cname, hname, body, page, round+1, g.String(), w.String())
							}
						}
					}
				}
			}
		}
	}
}
