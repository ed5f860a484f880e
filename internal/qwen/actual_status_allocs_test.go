package qwen

import (
	"net/http"
	"testing"
)

// TestAnAnswerWithoutAnActualStatusIsReadWithoutAllocating: the answers of
// a plain call carry no x-actual-status-code; looking for it costs nothing.
func TestAnAnswerWithoutAnActualStatusIsReadWithoutAllocating(t *testing.T) {
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}}
	if n := testing.AllocsPerRun(100, func() { actualStatus(resp) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
	resp.Header.Set("X-Actual-Status-Code", "429")
	if actualStatus(resp) != 429 {
		t.Fatal(actualStatus(resp))
	}
}
