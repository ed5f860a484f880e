package main

import (
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// A flag given twice was read as its last value, the first dropped without
// a word: `requests --status error --status success` listed the successes,
// `prune --older-than 1000d … --older-than 0d` (a flag appended to a
// command from history) pruned by the last, where the history API refuses
// a query parameter given twice. A value flag given more than once is
// refused (exit 2) naming it, before the database is touched; a switch
// (--json twice) says the same thing twice and is taken.
func TestAFlagGivenTwiceIsRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	seedHistory(t, storetest.Open(t, db), 3)
	for _, args := range [][]string{
		{"requests", "--status", "error", "--status", "success"},
		{"requests", "ls", "--limit=5", "--limit", "7"},
		{"sessions", "ls", "--model", "a", "--json", "-model=b"},
		{"stats", "--start", "2h", "--start", "1h"},
		{"export", "--format", "csv", "--format", "jsonl"},
		{"prune", "--older-than", "1000d", "--older-than", "0s", "--yes"},
		{"sessions", "show", "s1", "--database-path", db, "--database-path", db},
		{"serve", "--port", "0", "--port", "0"},
	} {
		// runEnvOf: a serve that starts stops at once.
		out, errOut, code := runEnvOf(t, map[string]string{"DATABASE_PATH": db}, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "given more than once") {
			t.Errorf("%q: exit %d, %q %q", args, code, out, errOut)
		}
	}
	// Nothing was pruned.
	if out, errOut, code := runCLI(t, db, "requests", "--json"); code != 0 || strings.Count(out, `"request_id"`) != 3 {
		t.Fatalf("after the refused prune: exit %d, %s %s", code, out, errOut)
	}
	// A switch given twice, a flag's value that looks like a flag, and a
	// flag after "--" (an argument) are not repeats.
	for _, args := range [][]string{
		{"requests", "--json", "--json"},
		{"sessions", "ls", "--search", "--model", "--model", "x"},
		{"sessions", "show", "--json", "--", "--json"},
	} {
		_, errOut, _ := runCLI(t, db, args...)
		if strings.Contains(errOut, "given more than once") {
			t.Errorf("%q: %s", args, errOut)
		}
	}
}
