package accounts

import (
	"strings"
	"testing"
)

// `accounts add --email a@b` stored the account, and QWEN_ACCOUNTS took
// a@b:pw: net/mail accepts a domain without a dot, an address literal and
// more that no one registers with Qwen, so a typo was stored, listed and
// signed in (refused) for ever after. Such addresses are refused, saying
// why; real ones, internationalised too, are taken, lower-cased.
func TestNormalizeEmailRefusesAddressesNoOneSignsInWith(t *testing.T) {
	for in, want := range map[string]string{
		"a@b":                                  "has no dot",
		"a@localhost":                          "has no dot",
		"x@[1.2.3.4]":                          "address literal",
		"x@1.2.3.4":                            "IP address",
		"a@-b.com":                             "hyphen",
		"a@b-.com":                             "hyphen",
		"a@b_c.com":                            "cannot",
		"a@b.c.":                               "not an e-mail address",
		"a@b..com":                             "not an e-mail address",
		"Ada <a@b.io>":                         "write it bare",
		`"a b"@x.io`:                           "not an e-mail address",
		"a@" + strings.Repeat("x", 64) + ".io": "longer than 63",
		"cookie":                               "not an e-mail address",
	} {
		got, err := NormalizeEmail(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "not an e-mail address") {
			t.Errorf("%q: %q, %v; want a refusal saying %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		" Ada@Example.com ":       "ada@example.com",
		"a.b+tag@mail.example.io": "a.b+tag@mail.example.io",
		"x@xn--bcher-kva.example": "x@xn--bcher-kva.example",
		"x@bücher.de":             "x@bücher.de",
		"x@1-2.example":           "x@1-2.example",
	} {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseList("a@b:secret"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("QWEN_ACCOUNTS a@b:secret: %v, want a refusal quoting no password", err)
	}
}
