package main

import (
	"strings"
	"testing"
)

// A flag's value the command cannot take is refused for what it is before
// the database is looked at: with the database missing (or older, when the
// read snapshots it first) `export --format xml` said "no database at …"
// and the value was refused only once that was fixed.
func TestBadValuesAreRefusedBeforeTheDatabaseIsOpened(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--format", "xml"}, `--format must be jsonl or csv, not "xml"`},
		{[]string{"export", "--status", "maybe"}, "--status"},
		{[]string{"requests", "--limit", "0"}, "--limit"},
		{[]string{"requests", "--start", "yesterday"}, "--start"},
		{[]string{"sessions", "--limit", "abc"}, "--limit"},
		{[]string{"sessions", "--start", "yesterday"}, "--start"},
		{[]string{"stats", "--bucket", "week"}, "--bucket"},
	} {
		out, errOut, code := runNoDB(t, tc.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "no database") {
			t.Errorf("%v: exit %d, %q %q", tc.args, code, out, errOut)
		}
	}
}

// prune --older-than says which ages it takes: "1y", or 300000d (beyond
// the 100 years an age may span), were refused as if they were not ages
// ("want an age like 30d, 12h or 90m"), with no word of the limit, of weeks
// or of m being minutes.
func TestPruneSaysWhichAgesItTakes(t *testing.T) {
	for _, age := range []string{"300000d", "1y", "-5d"} {
		_, errOut, code := runNoDB(t, "prune", "--older-than", age, "--yes")
		if code != 1 || !strings.Contains(errOut, "at most 100 years") || !strings.Contains(errOut, "m (minutes)") || !strings.Contains(errOut, "w (weeks)") {
			t.Errorf("--older-than %s: exit %d, %q", age, code, errOut)
		}
	}
}
