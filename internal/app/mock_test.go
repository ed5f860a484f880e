package app

import (
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// --mock-upstream with --qwen-base-url serves the built-in simulator and
// says that the URL is not used: it was dropped without a word, and an
// operator pointing a second instance at a first one's simulator got a
// simulator of its own.
func TestMockUpstreamSaysItDoesNotUseTheBaseURL(t *testing.T) {
	for _, tc := range []struct {
		baseURL string
		warned  bool
	}{{"http://127.0.0.1:9", true}, {"", false}} {
		out := startLog(t, map[string]string{"QWEN_BASE_URL": tc.baseURL}, func(c *config.Config) { c.MockUpstream = true })
		if strings.Contains(out, "QWEN_BASE_URL (--qwen-base-url) is not used") != tc.warned || !strings.Contains(out, "using the built-in Qwen simulator") {
			t.Errorf("QWEN_BASE_URL %q: the log says\n%s", tc.baseURL, out)
		}
	}
}
