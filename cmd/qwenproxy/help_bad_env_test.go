package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// `qwenproxy stats --help` with a bad value in the environment (PORT=abc,
// a PostgreSQL URL in DATABASE_PATH) printed the command's heading and no
// flag at all, exit 0, saying nothing: the command's flags are made once
// the environment is read, and the help dropped the error. The flags are
// listed with their built-in defaults, and the bad value is said on stderr,
// its password masked.
func TestHelpListsTheFlagsDespiteABadEnvironment(t *testing.T) {
	for _, c := range []struct {
		vars map[string]string
		args []string
		flag string
		said string
	}{
		{map[string]string{"PORT": "abc"}, []string{"stats", "--help"}, "-database-path", `PORT="abc"`},
		{map[string]string{"DATABASE_PATH": "postgres://u:hunter2@db/q"}, []string{"help", "sessions"}, "-search", "DATABASE_PATH"},
		{map[string]string{"LOG_LEVEL": "loud"}, []string{"serve", "--help"}, "-mock-upstream", `LOG_LEVEL="loud"`},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, func(k string) string { return c.vars[k] }, &out, &errOut)
		if code != 0 || !strings.Contains(out.String(), c.flag) || !strings.Contains(errOut.String(), c.said) ||
			!strings.Contains(errOut.String(), "built-in defaults") || strings.Contains(out.String()+errOut.String(), "hunter2") {
			t.Errorf("%v %q: exit %d\nstdout: %s\nstderr: %s", c.vars, c.args, code, out.String(), errOut.String())
		}
	}
}
