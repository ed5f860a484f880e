package accounts

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// NormalizeEmail checks an e-mail address and lower-cases it: the account's
// id. Qwen signs in with the address a person registered (qwen-2026.md
// §1.2), so only a bare address on a domain of the Internet is taken: not
// `a@b`, `a@localhost` or `a@[1.2.3.4]`, which net/mail accepts but no one
// registers with, and which — stored, listed and signed in for ever after —
// were a typo no command caught.
func NormalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || email == CookieID {
		return "", fmt.Errorf("%q is not an e-mail address (write it bare, as ada@example.com)", email)
	}
	domain := email[strings.LastIndexByte(email, '@')+1:]
	if why := badDomain(domain); why != "" {
		return "", fmt.Errorf("%q is not an e-mail address: its domain %s (write the whole address, as ada@example.com)", email, why)
	}
	return strings.ToLower(email), nil
}

// badDomain says what keeps domain from being an Internet host name ("" when
// nothing): at least two labels separated by dots, each of letters, digits
// and inner hyphens (letters of any script: internationalised domains), at
// most 63 bytes each and 253 in all, the last not all digits (an IP address).
func badDomain(domain string) string {
	if strings.HasPrefix(domain, "[") {
		return "is an address literal, not a name"
	}
	if len(domain) > 253 {
		return "is longer than 253 characters"
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return fmt.Sprintf("%q has no dot", domain)
	}
	for _, l := range labels {
		switch {
		case l == "":
			return fmt.Sprintf("%q has an empty label", domain)
		case len(l) > 63:
			return fmt.Sprintf("%q has a label longer than 63 characters", domain)
		case strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-"):
			return fmt.Sprintf("%q has a label that begins or ends with a hyphen", domain)
		case strings.IndexFunc(l, func(r rune) bool { return r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0:
			return fmt.Sprintf("%q holds a character a host name cannot", domain)
		}
	}
	if strings.IndexFunc(labels[len(labels)-1], func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		return fmt.Sprintf("%q is an IP address, not a name", domain)
	}
	return ""
}
