package redact

import (
	"strings"
	"testing"
)

func TestTextMasksCredentialsAServerEchoes(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6ImEifQ.SIGsecret"
	cases := []struct{ in, secret string }{
		{"bad header Authorization: Bearer opaqueSECRET1", "opaqueSECRET1"},
		{"token=" + jwt + "; ssxmod=x", "SIGsecret"},
		{`{"email":"a@b.c","password":"5e884898da28047151d0e56f8dc629"}`, "5e884898da"},
		{`{"data":{"access_key_secret":"OSSsecret\"q","security_token":"STSsecret"}}`, "OSSsecret"},
		{`{"data":{"AccessKeySecret":"OSSsecret2","SecurityToken":"STSsecret2"}}`, "STSsecret2"},
		{"Cookie: token=abc; ssxmod_itna=COOKIEsecret\nnext line", "COOKIEsecret"},
		{"a=1&password%3DURLsecret%2B&b=2", "URLsecret"},
		{"Authorization%3A%20Bearer%20URLbearerSECRET", "URLbearerSECRET"},
		{`details: {\"token\":\"ESCsecret\"}`, "ESCsecret"},
	}
	for _, c := range cases {
		out := Text(c.in)
		if strings.Contains(out, c.secret) || !strings.Contains(out, Placeholder) {
			t.Errorf("Text(%q) = %q: %s not masked", c.in, out, c.secret)
		}
	}
	if got := Text("Token has expired"); got != "Token has expired" {
		t.Errorf("a message naming a token changed: %q", got)
	}
	if got := Text("Invalid input too many messages. max_tokens=5"); got != "Invalid input too many messages. max_tokens=5" {
		t.Errorf("a count changed: %q", got)
	}
	if got := Text("next line"); !strings.Contains(Text("Cookie: a=b\nnext line"), got) {
		t.Errorf("the line after a Cookie header was lost")
	}
}
