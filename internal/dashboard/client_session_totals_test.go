package dashboard

import (
	"regexp"
	"testing"
)

// The Calls page under an agent's session (client_session_id) shows what
// the session cost from GET /v1/stats?client_session_id=, which takes it:
// the page had only the list, so the session's tokens and errors were
// summed by hand. It sends the id alone (the list's model and range mean
// other things to the statistics), and only under that filter.
func TestCallsPageShowsAClientSessionsTotals(t *testing.T) {
	src, err := files.ReadFile("static/js/calls.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`api\("/v1/stats" \+ qs\(\{ client_session_id: id \}\)\)`,
		`filters\.client_session_id \? h\("div\.card"`,
		`if \(totals\) clientSessionTotals\(totals, filters\.client_session_id\)`,
	} {
		if !regexp.MustCompile(want).Match(src) {
			t.Errorf("calls.js lacks %s", want)
		}
	}
}
