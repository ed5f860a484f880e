package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copy without --to, without --from or without both names what is missing
// (it printed the usage line alone, which left the reader to spot the
// flag), exits 2 as every command's missing argument does, and makes no
// file of the one it was given.
func TestCopyNamesTheMissingFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "sqlite:FROM"}, "--to is required"},
		{[]string{"--to", "sqlite:TO"}, "--from is required"},
		{[]string{"--from", "", "--to", "sqlite:TO"}, "--from is required"},
		{nil, "--from and --to are required"},
	} {
		dir := t.TempDir()
		args := make([]string, len(c.args))
		for i, a := range c.args {
			args[i] = strings.NewReplacer("FROM", filepath.Join(dir, "from.db"), "TO", filepath.Join(dir, "to.db")).Replace(a)
		}
		out, errOut, code := runCopy(t, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "qwenproxy copy: "+c.want+": usage: qwenproxy copy --from") {
			t.Errorf("copy %q: exit %d, %q %q; want exit 2 and %q", c.args, code, out, errOut, c.want)
		}
		if made, _ := os.ReadDir(dir); len(made) != 0 {
			t.Errorf("copy %q made %v", c.args, made)
		}
	}
}
