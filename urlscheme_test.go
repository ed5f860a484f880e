package qwenproxy

import "testing"

func TestURLSchemesAreComparedWithoutCase(t *testing.T) {
	for _, c := range []struct {
		u         string
		data, web bool
	}{
		{"data:image/png;base64,AAAA", true, false},
		{"DATA:image/png;base64,AAAA", true, false},
		{"dAtA:,x", true, false},
		{"data", false, false},
		{"database:x", false, false},
		{"https://example.com/a.png", false, true},
		{"HTTPS://example.com/a.png", false, true},
		{"Http://example.com", false, true},
		{"http:example.com", false, false},
		{"ftp://example.com", false, false},
		{"httpx://example.com", false, false},
		{"", false, false},
	} {
		if got := IsDataURL(c.u); got != c.data {
			t.Errorf("IsDataURL(%q) = %v", c.u, got)
		}
		if got := IsWebURL(c.u); got != c.web {
			t.Errorf("IsWebURL(%q) = %v", c.u, got)
		}
	}
}
