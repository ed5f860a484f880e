package config

import (
	"slices"
	"testing"
)

// A variable meant for a setting but misspelt is named with the setting it
// is near (it was ignored without a word: API_KEY=… left the proxy open),
// and the machine's own variables, the settings themselves and other
// programs' (QWENPROXY_API_KEY, which a client reads) are not.
func TestMisspellingsNameTheSettingMeant(t *testing.T) {
	environ := []string{
		"API_KEY=sk-secret", "QWEN_COOKIE=token=x", "qwen_cookies=token=y", "DATABASE_URI=postgres://h/db",
		"RECODER_SYNC=true", "LOG_LEVLE=debug",
		"HOME=/root", "PATH=/bin", "HOSTNAME=box", "PWD=/", "TERM=xterm", "LC_ALL=C", "XDG_RUNTIME_DIR=/run",
		"SSH_AUTH_SOCK=/tmp/s", "QWENPROXY_API_KEY=sk-client", "QWENPROXY_TEST_DATABASE_URL=postgres://h/t",
		"API_KEYS=sk-real", "PORT=3000", "DATABASE_URL=postgres://h/db", "NO_PROXY=localhost", "=odd",
	}
	var got []Misspelling
	got = append(got, Misspellings(environ)...)
	want := []Misspelling{
		{"API_KEY", "API_KEYS"}, {"QWEN_COOKIE", "QWEN_COOKIES"}, {"qwen_cookies", "QWEN_COOKIES"},
		{"DATABASE_URI", "DATABASE_URL"}, {"RECODER_SYNC", "RECORDER_SYNC"}, {"LOG_LEVLE", "LOG_LEVEL"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("misspellings %v, want %v", got, want)
	}
	if s := want[0].String(); s != "API_KEY is set but is not a qwenproxy setting (did you mean API_KEYS?)" {
		t.Errorf("said %q", s)
	}
}
