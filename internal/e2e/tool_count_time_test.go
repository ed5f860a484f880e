package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A request's tools were checked against every tool before them, and each
// tool change of a conversation looked through (and a removal copied) the
// whole set: CPU grew with the square of the tools a body holds. A
// Responses request of 100,000 tools (7 MB, within MAX_BODY_BYTES) took 45
// s of CPU before it was answered, and Anthropic's estimate of a request of
// 20,000 tools, each removed and another added in a system message, copied
// the whole list for each addition: over two minutes. A few such requests
// held every core. Each now costs time in proportion to its size: four
// times the tools take about four times as long, not sixteen.
func TestManyToolsCostTimeInProportion(t *testing.T) {
	e := start(t, nil)
	for _, tc := range []struct {
		path string
		n    int
		body func(n int) string
	}{
		{"/v1/responses/input_tokens", 60_000, responsesWithTools},
		{"/v1/messages/count_tokens", 10_000, messagesWithToolChanges},
	} {
		took := func(n int) time.Duration {
			body := tc.body(n)
			began := time.Now()
			resp := postJSON(t, e, tc.path, body, nil)
			answer, _ := io.ReadAll(resp.Body)
			took := time.Since(began)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s with %d tools: %d %.300s", tc.path, n, resp.StatusCode, answer)
			}
			return took
		}
		quarter, whole := took(tc.n/4), took(tc.n)
		t.Logf("%s: %d tools %v, %d tools %v", tc.path, tc.n/4, quarter, tc.n, whole)
		if whole > 8*quarter+2*time.Second {
			t.Errorf("%s: %d tools took %v, %d tools %v: more than in proportion", tc.path, tc.n/4, quarter, tc.n, whole)
		}
	}
}

// responsesWithTools is a Responses request declaring n function tools.
func responsesWithTools(n int) string {
	var b strings.Builder
	b.WriteString(`{"model":"qwen3-max","input":"x","tools":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"function","name":"f%d","parameters":{"type":"object"}}`, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// messagesWithToolChanges is a Messages request declaring n tools, then a
// system message that removes each and adds n others.
func messagesWithToolChanges(n int) string {
	var b strings.Builder
	b.WriteString(`{"model":"qwen3-max","tools":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"f%d","input_schema":{"type":"object"}}`, i)
	}
	b.WriteString(`],"messages":[{"role":"user","content":"x"},{"role":"system","content":[`)
	for i := range n {
		fmt.Fprintf(&b, `{"type":"tool_removal","tool":{"type":"tool_reference","name":"f%d"}},`, i)
	}
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"tool_addition","tool":{"type":"tool_definition","definition":{"name":"g%d","input_schema":{"type":"object"}}}}`, i)
	}
	b.WriteString(`]},{"role":"user","content":"y"}]}`)
	return b.String()
}
