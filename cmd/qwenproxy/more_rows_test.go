package main

import (
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// requests ls and sessions ls show a page (--limit, 50 by default): a table
// cut there said nothing of the calls beyond it, so an operator looking for
// the errors of a busy day took the first 50 for all of them. Under a
// table that does not hold every match they say so, and how to see more
// (counting every match would read them all: `stats` counts calls); one that
// holds them all says nothing more.
func TestListTablesSayWhenTheyShowOnlySome(t *testing.T) {
	storetest.Each(t, testListTablesSayWhenTheyShowOnlySome)
}

func testListTablesSayWhenTheyShowOnlySome(t *testing.T, dbURL string) {
	seedHistory(t, storetest.Open(t, dbURL), 30) // 30 calls in 20 sessions
	for _, c := range []struct {
		args []string
		rows int
		note string // "": none
	}{
		{[]string{"requests", "ls", "--limit", "4"}, 4, "the newest 4 calls shown; more match"},
		{[]string{"requests", "ls", "--limit", "4", "--model", "qwen3-max"}, 4, "the newest 4 calls shown; more match"},
		{[]string{"requests", "ls"}, 30, ""},
		{[]string{"requests", "ls", "--limit", "30"}, 30, ""},
		{[]string{"sessions", "ls", "--limit", "5"}, 5, "the newest 5 sessions shown; more match"},
		{[]string{"sessions", "ls"}, 20, ""},
		// A page of one names its row in the singular: it said "the newest 1 calls".
		{[]string{"requests", "ls", "--limit", "1"}, 1, "the newest call shown; more match"},
		{[]string{"sessions", "ls", "--limit", "1"}, 1, "the newest session shown; more match"},
	} {
		out, errOut, code := runOn(t, dbURL, c.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errOut)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		want := 1 + c.rows
		if c.note != "" {
			want++
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, c.note) || !strings.Contains(last, "--limit") {
				t.Errorf("%v: last line %q, want it to begin %q and name --limit", c.args, last, c.note)
			}
		}
		if len(lines) != want {
			t.Errorf("%v: %d lines, want %d:\n%s", c.args, len(lines), want, out)
		}
	}
}
