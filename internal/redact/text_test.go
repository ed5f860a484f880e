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
		// A pair inside the JSON string of another pair's value (a tool
		// call's arguments, as a refusal quoting the request has them):
		// the outer value was taken whole, its name no secret's.
		{`bad input: {"arguments":"{\"api_key\":\"NESTEDsecret\"}"}`, "NESTEDsecret"},
		{`{"input": "{\"user\": {\"password\": \"NESTEDsecret2\"}}"}`, "NESTEDsecret2"},
		// A refusal quoting the client's text quotes its connection strings.
		{"refused: connect to postgres://app:URLpass9@db/app", "URLpass9"},
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

// A Cookie header echoed in any framing loses its whole value: the cookies
// whose names say nothing of a secret (acw_tc, ssxmod_itna) with the token.
func TestTextMasksACookieHeaderHoweverItIsEchoed(t *testing.T) {
	const cookies = "token=abc; acw_tc=SESSIONSECRET777; ssxmod_itna=ITNASECRET888"
	for _, in := range []string{
		`headers={'Cookie': '` + cookies + `', 'User-Agent': 'Mozilla/5.0'}`, // Python's repr
		`headers={"Cookie": '` + cookies + `'}`,
		`{Cookie=` + cookies + `, User-Agent=Mozilla/5.0}`, // key=value (a Java map)
		`Cookie = ` + cookies,
		`cookie%3D` + strings.ReplaceAll(cookies, "; ", "%3B%20"),
		`{\"Cookie\": \"` + cookies + `\"}`, // JSON inside a JSON string
		`{\'Cookie\': \'` + cookies + `\'}`,
		`"Cookie: ` + cookies + `\r\nHost: chat.qwen.ai"`, // header lines in a JSON string
		"Set-Cookie: " + cookies + "\r\nHost: x",
		"Cookie: '" + cookies + "'",
	} {
		out := Text(in)
		for _, secret := range []string{"SESSIONSECRET777", "ITNASECRET888"} {
			if strings.Contains(out, secret) || !strings.Contains(out, Placeholder) {
				t.Errorf("Text(%q) = %q: %s not masked", in, out, secret)
			}
		}
	}
	// What follows the value stays.
	if out := Text(`{'Cookie': 'a=SECRET1; b=SECRET2', 'User-Agent': 'Mozilla/5.0'}`); out != `{'Cookie': '[REDACTED]', 'User-Agent': 'Mozilla/5.0'}` {
		t.Errorf("repr: %q", out)
	}
	if out := Text(`"Cookie: a=SECRET1\r\nHost: chat.qwen.ai"`); out != `"Cookie: [REDACTED]\r\nHost: chat.qwen.ai"` {
		t.Errorf("header lines: %q", out)
	}
	// An unquoted value ends where the cookies do: at a space that does not
	// follow their "; " (the text after it was masked up to its next quote).
	if out := Text(`Cookie=a=SECRET1; b=SECRET2 headers={'Accept': 'x'}`); out != `Cookie=[REDACTED] headers={'Accept': 'x'}` {
		t.Errorf("key=value before more text: %q", out)
	}
	for _, s := range []string{"cookies are needed", "the cookie expired", "Set a cookie_id"} {
		if got := Text(s); got != s {
			t.Errorf("Text(%q) = %q", s, got)
		}
	}
}
