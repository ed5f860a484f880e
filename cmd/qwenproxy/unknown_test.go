package main

import (
	"strings"
	"testing"
)

// A command name that is not one says what was meant: a flag put before the
// command (a habit from tools with global flags) is told to follow it,
// naming the command; a mistyped or shortened name names the command it is
// near. "unknown command "--json"" alone left a newcomer to guess. A flag's
// value (it may be a URL with a password) is never repeated.
func TestAnUnknownCommandSaysWhatWasMeant(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--json", "sessions"}, `unknown command "--json": the command's name comes first, its flags after it (qwenproxy sessions --json …)`},
		{[]string{"--database-url=postgres://u:secret@h/db", "stats"}, `the command's name comes first, its flags after it (qwenproxy stats --database-url …)`},
		{[]string{"--database-url", "postgres://u:secret@h/db", "export"}, `(qwenproxy export --database-url …)`},
		{[]string{"--json"}, `unknown command "--json": a command's name comes first, its flags after it`},
		{[]string{"sesions"}, `unknown command "sesions" (did you mean sessions?)`},
		{[]string{"cred"}, `unknown command "cred" (did you mean credentials?)`},
		// Two edits change half of a four-letter word: no suggestion.
		{[]string{"nope"}, `unknown command "nope"` + "\n"},
		{[]string{"stat"}, `unknown command "stat" (did you mean stats?)`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"` + "\n"},
	} {
		_, errOut, code := runNoDB(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "usage: qwenproxy <command>") || strings.Contains(errOut, "secret") {
			t.Errorf("%q: exit %d, %q", tc.args, code, errOut)
		}
	}
}
