package config

import (
	"io"
	"strings"
	"testing"
)

// A bad value given to one of serve's flags is refused quoting it, as the
// same value in its environment variable is: `--log-level trace` said only
// "--log-level: must be one of …", where LOG_LEVEL=trace said "trace".
func TestBadFlagValuesAreQuoted(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--log-level", "trace"}, `--log-level "trace": must be one of debug, info, warn, error`},
		{[]string{"--qwen-base-url", "ftp://x"}, `--qwen-base-url "ftp://x": must be an http(s) URL`},
		{[]string{"--port", "-1"}, `--port -1: must be between 0 and 65535`},
	} {
		_, err := Load(c.args, env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
	}
}

// A surplus argument is refused by name, quoted, as every other command
// refuses one (`unexpected argument "extra"`): serve said "unexpected
// arguments: extra".
func TestSurplusArgumentIsQuoted(t *testing.T) {
	_, err := Load([]string{"--port", "1", "extra", "more"}, env(nil), io.Discard)
	if err == nil || err.Error() != `unexpected argument "extra"` {
		t.Errorf("serve extra more: %v", err)
	}
}

// A HOST that holds a port, or an IPv6 address in brackets, is refused at
// start naming the setting, the value and the way to write it: it reached
// the listener as "[127.0.0.1:5]:3000" ("lookup 127.0.0.1:5: no such host")
// or "[[::1]]:3000" ("missing port in address"), naming neither HOST nor
// --host.
func TestHostWithPortOrBracketsIsRefused(t *testing.T) {
	for _, c := range []struct{ value, want string }{
		{"127.0.0.1:5", "holds a port"},
		{"localhost:3000", "holds a port"},
		{"[::1]:3000", "holds a port"},
		{"[::1]", "without brackets (::1)"},
	} {
		_, err := Load(nil, env(map[string]string{"HOST": c.value}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), `HOST="`+c.value+`"`) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("HOST=%s: %v, want %q", c.value, err, c.want)
		}
		_, err = Load([]string{"--host", c.value}, env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), `--host "`+c.value+`"`) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--host %s: %v, want %q", c.value, err, c.want)
		}
	}
	for _, v := range []string{"::1", "127.0.0.1", "localhost", "0.0.0.0", "::", "fe80::1%lo"} {
		c, err := Load([]string{"--host", v, "--allow-unauthenticated"}, env(nil), io.Discard)
		if err != nil || c.Host != v {
			t.Errorf("--host %s: %v", v, err)
		}
	}
}
