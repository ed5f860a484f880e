package qwen

import (
	"strconv"
	"strings"
	"testing"
)

// A Cookie header holding a control character — a line break or a tab
// pasted with it — is said to, with the character and where it stands,
// never the header's text: a token=… a line break cut was reported as
// missing ("holds no token=…"). Such a header cannot sign a call.
func TestACookieHeaderWithAControlCharacterSaysSo(t *testing.T) {
	jwt := testJWT(4102444800)
	for _, c := range []struct {
		cookies, char string
		at            int
	}{
		{"a=1; token=" + jwt[:20] + "\n" + jwt[20:], "a line feed, U+000A", 32},
		{"a=1;\r\ntoken=" + jwt, "a carriage return, U+000D", 5},
		{"a=1; token=" + jwt + "\tb=2", "a tab, U+0009", 12 + len(jwt)},
		{"é=1; token=" + jwt + "\u0085", "U+0085", 12 + len(jwt)},
	} {
		creds := Credentials{Cookies: c.cookies}
		why := creds.Incomplete()
		want := "holds a control character (" + c.char + ") at character " + strconv.Itoa(c.at) + " of "
		if creds.Configured() || !strings.Contains(why, want) || !strings.Contains(why, "must be one line") {
			t.Errorf("%q: configured %v, incomplete %q; want %q", c.cookies, creds.Configured(), why, want)
		}
		if strings.Contains(why, jwt[:20]) || strings.Contains(why, "a=1") || strings.Contains(why, "no token=") {
			t.Errorf("%q: incomplete %q quotes the header or says there is no token", c.cookies, why)
		}
	}
	if why := CookieControl("a=1; token=" + jwt); why != "" {
		t.Errorf("a header without a control character: %q", why)
	}
}
