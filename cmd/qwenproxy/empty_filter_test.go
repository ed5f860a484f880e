package main

import (
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
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

// prune's --older-than or --before given with no value (a script's unset
// variable) was taken as not given: alone, "--older-than or --before is
// required", which it was; beside the other, that one pruned. It is refused
// as an empty filter is, before the database is opened.
func TestPruneRefusesAnEmptyCutoffFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	seedHistory(t, storetest.Open(t, db), 2)
	for _, args := range [][]string{
		{"prune", "--older-than", ""},
		{"prune", "--before", ""},
		{"prune", "--older-than", "", "--before", "now", "--yes"},
		{"prune", "--before=", "--older-than", "0s", "--yes"},
	} {
		_, errOut, code := runCLI(t, db, args...)
		if code != 2 || !strings.Contains(errOut, "is empty") {
			t.Errorf("%q: exit %d, %s", args, code, errOut)
		}
	}
	if out, errOut, code := runCLI(t, db, "stats", "--json"); code != 0 || !strings.Contains(out, `"total_responses": 2,`) {
		t.Errorf("after the refused prunes: exit %d, %s %s", code, out, errOut)
	}
}
