package dashboard

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"

	qp "qwenproxy"
)

// The calls page's error type filter offers the types the history API
// takes (qwenproxy.ErrorTypes): one the page lacked could not be asked
// for, one the server lacks would be a 400.
func TestCallsPageOffersEveryErrorType(t *testing.T) {
	src, err := files.ReadFile("static/js/calls.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)export const errorTypes = (\[.*?\]);`).FindSubmatch(src)
	if m == nil {
		t.Fatal("calls.js declares no errorTypes list")
	}
	var page []string
	if err := json.Unmarshal(m[1], &page); err != nil {
		t.Fatalf("calls.js errorTypes: %v", err)
	}
	if !slices.Equal(page, qp.ErrorTypes) {
		t.Errorf("calls.js errorTypes\n%q\nthe server's\n%q", page, qp.ErrorTypes)
	}
}
