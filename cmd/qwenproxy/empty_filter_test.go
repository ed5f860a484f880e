package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A filter flag given with no value (--model "") was taken as no filter:
// `requests ls` listed, and `export` exported, every call, where the history
// API refuses model= with a 400. It is refused the same way, before the
// database is read.
func TestAnEmptyFilterFlagIsRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	for _, args := range [][]string{
		{"requests", "ls", "--response-model", ""},
		{"requests", "ls", "--model", ""},
		{"export", "--account", ""},
		{"sessions", "ls", "--search", ""},
		{"stats", "--session", ""},
	} {
		_, errOut, code := runCLI(t, db, args...)
		if code != 2 || !strings.Contains(errOut, "is empty") {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
}
