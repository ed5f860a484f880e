package metrics

import (
	"strings"
	"testing"
)

func TestClientInputNeverBecomesALabel(t *testing.T) {
	for method, want := range map[string]string{
		"GET": "GET", "POST": "POST", "DELETE": "DELETE", "OPTIONS": "OPTIONS",
		"get": "other", "BREW": "other", strings.Repeat("X", 200_000): "other", "": "other",
	} {
		if got := MethodLabel(method); got != want {
			t.Errorf("MethodLabel(%.20q) = %q, want %q", method, got, want)
		}
	}
	for status, want := range map[int]string{200: "200", 499: "499", 0: "other", 600: "other", 99999: "other"} {
		if got := StatusLabel(status); got != want {
			t.Errorf("StatusLabel(%d) = %q, want %q", status, got, want)
		}
	}
}
