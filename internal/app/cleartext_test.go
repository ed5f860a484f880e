package app

import (
	"strings"
	"testing"
)

// A QWEN_BASE_URL of plain http to another machine sends every call's
// Cookie header and login token, and every sign-in's password digest,
// across the network unencrypted: the server says so when it starts (the
// object store's puts are refused so already). https, and plain http to
// this machine (a simulator), are said nothing of.
func TestAPlainHTTPUpstreamElsewhereIsWarnedOf(t *testing.T) {
	for _, tc := range []struct {
		baseURL string
		warned  bool
	}{
		{"http://qwen.example.com", true},
		{"HTTP://10.0.0.7:8080", true},
		{"https://qwen.example.com", false},
		{"http://127.0.0.1:9", false},
		{"http://localhost:9", false},
		{"http://[::1]:9", false},
	} {
		out := startLog(t, map[string]string{"QWEN_BASE_URL": tc.baseURL}, nil)
		if strings.Contains(out, "unencrypted") != tc.warned {
			t.Errorf("QWEN_BASE_URL %q: warned %v, want %v; the log says\n%s", tc.baseURL, !tc.warned, tc.warned, out)
		}
	}
}
