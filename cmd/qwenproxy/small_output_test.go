package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A key made without --name is listed with "-" for its name, as the calls
// table shows a call made without keys: a blank cell shifted the row's
// columns for whoever splits it on blanks, and read as a missing column.
func TestKeysTableShowsAnUnnamedKey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	for _, args := range [][]string{{"keys", "add", "--name", "laptop"}, {"keys", "add"}} {
		if out, errOut, code := runCLI(t, db, args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
	}
	out, errOut, code := runCLI(t, db, "keys", "ls")
	if code != 0 {
		t.Fatalf("keys ls: %d %s %s", code, out, errOut)
	}
	assertAligned(t, out)
	if !strings.Contains(out, "  -  ") {
		t.Errorf("keys ls: want \"-\" for the unnamed key's name:\n%s", out)
	}
}

// An --output export cannot create names the flag once, not the command
// twice ("qwenproxy export: export: create …").
func TestExportToAMissingDirectorySaysSoOnce(t *testing.T) {
	db, _ := populate(t)
	out, errOut, code := runCLI(t, db, "export", "--output", filepath.Join(t.TempDir(), "no-such-dir", "calls.jsonl"))
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || strings.Count(errOut, "export:") != 1 || !strings.Contains(errOut, "--output") {
		t.Errorf("export to a missing directory: exit %d, %q %q", code, out, errOut)
	}
}
