package config

import (
	"io"
	"strings"
	"testing"
)

// serve's flags override the environment, so a bad value in a variable a
// flag given replaces is not read: `PORT=abc serve --port 4000` was refused
// for PORT, and `DATABASE_URL=mysql://… serve --database-path x.db` for a
// DATABASE_URL the flag sets aside. Left to the variable, it is refused.
func TestAFlagGivenSetsItsBadVariableAside(t *testing.T) {
	for _, c := range []struct {
		args []string
		vars map[string]string
	}{
		{[]string{"--port", "4000"}, map[string]string{"PORT": "abc"}},
		{[]string{"--log-level=debug"}, map[string]string{"LOG_LEVEL": "loud"}},
		{[]string{"--host", "::1"}, map[string]string{"HOST": "[::1]"}},
		{[]string{"--qwen-base-url", "http://127.0.0.1:9"}, map[string]string{"QWEN_BASE_URL": "chat.qwen.ai"}},
		{[]string{"--allow-unauthenticated"}, map[string]string{"ALLOW_UNAUTHENTICATED": "maybe"}},
		{[]string{"--database-path", "x.db"}, map[string]string{"DATABASE_URL": "mysql://u@h/d", "DATABASE_PATH": "postgres://u@h/d"}},
		{[]string{"--database-url", "postgres://u@h/d"}, map[string]string{"DATABASE_URL": "mysql://u@h/d"}},
	} {
		if _, err := Load(c.args, env(c.vars), io.Discard); err != nil {
			t.Errorf("%v %q: %v", c.vars, c.args, err)
		}
	}
	_, err := Load([]string{"--log-level", "debug"}, env(map[string]string{"PORT": "abc"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), `PORT="abc"`) {
		t.Errorf("PORT=abc without --port: %v", err)
	}
}
