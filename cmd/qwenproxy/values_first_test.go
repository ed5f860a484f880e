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
		{[]string{"export", "--format", "xml"}, "--format must be jsonl or csv"},
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
