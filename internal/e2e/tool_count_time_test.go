package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A request's tools were checked against every tool before them, each tool
// change of a conversation looked through (and a removal copied) the whole
// set, and each tool allowed_tools names was looked up through the tools:
// CPU grew with the square of the tools a body holds. A Responses request
// of 100,000 tools (7 MB, within MAX_BODY_BYTES) took 45 s of CPU before it
// was answered, one allowing 80,000 tools by name about as long, and
// Anthropic's estimate of a request of 10,000 tools, each removed and
// another added in a system message, copied the whole list for each
// addition: over a minute. A few such requests held every core. Each now
// costs time in proportion to its size: a second or two, under ten with the
// race detector.
func TestManyToolsCostTimeInProportion(t *testing.T) {
	e := start(t, nil)
	for _, tc := range []struct{ path, body string }{
		{"/v1/responses/input_tokens", responsesWithTools(100_000)},
		{"/v1/responses/input_tokens", responsesWithAllowedTools(80_000)},
		{"/v1/messages/count_tokens", messagesWithToolChanges(10_000)},
	} {
		began := time.Now()
		resp := postJSON(t, e, tc.path, tc.body, nil)
		answer, _ := io.ReadAll(resp.Body)
		took := time.Since(began)
		t.Logf("%s, %d bytes: %v", tc.path, len(tc.body), took)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s, %d bytes: %d %.300s", tc.path, len(tc.body), resp.StatusCode, answer)
		}
		if took > 30*time.Second {
			t.Errorf("%s, %d bytes of tools, took %v", tc.path, len(tc.body), took)
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

// responsesWithAllowedTools is responsesWithTools with a tool_choice that
// allows every tool by name.
func responsesWithAllowedTools(n int) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(responsesWithTools(n), "}"))
	b.WriteString(`,"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"function","name":"f%d"}`, i)
	}
	b.WriteString(`]}}`)
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
