package e2e

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/benchcpu"
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
// costs CPU in proportion to its size: a few tens of times what a body of
// as many bytes of plain text costs at the same route (read, checked,
// estimated), where the square made it hundreds of times at these sizes
// and more as they grow. A ratio of two calls in one run holds on a
// machine of any speed.
func TestManyToolsCostTimeInProportion(t *testing.T) {
	e := start(t, nil)
	for _, tc := range []struct {
		path  string
		body  string
		plain func(text string) string
	}{
		{"/v1/responses/input_tokens", responsesWithTools(25_000), responsesWithText},
		{"/v1/responses/input_tokens", responsesWithAllowedTools(10_000), responsesWithText},
		{"/v1/messages/count_tokens", messagesWithToolChanges(1_500), messagesWithText},
	} {
		plain := tc.plain(strings.Repeat("word ", len(tc.body)/5))
		cpuTools, cpuPlain := callCPU(t, e, tc.path, tc.body), callCPU(t, e, tc.path, plain)
		ratio := float64(cpuTools) / float64(cpuPlain)
		t.Logf("%s, %d bytes: tools %v, plain text %v: ×%.0f", tc.path, len(tc.body), cpuTools, cpuPlain, ratio)
		if ratio > 100 { // in proportion: 7-60; with the square: 200-600 here
			t.Errorf("%s: a body of tools cost %.0f times the CPU of as many bytes of text (%v, %v)", tc.path, ratio, cpuTools, cpuPlain)
		}
	}
}

// responsesWithText is a Responses request whose input is text.
func responsesWithText(text string) string {
	return `{"model":"qwen3-max","input":"` + text + `"}`
}

// messagesWithText is a Messages request whose one message is text.
func messagesWithText(text string) string {
	return `{"model":"qwen3-max","messages":[{"role":"user","content":"` + text + `"}]}`
}

// callCPU is the least CPU the process spent answering body at path, of
// two calls (a collection or another test's work may land in one).
func callCPU(t *testing.T, e *env, path, body string) time.Duration {
	t.Helper()
	least := time.Duration(math.MaxInt64)
	for range 2 {
		runtime.GC() // the last call's garbage is not this one's
		before, ok := benchcpu.Process()
		if !ok {
			t.Fatal("the process's CPU time cannot be read here")
		}
		resp := postJSON(t, e, path, body, nil)
		answer, _ := io.ReadAll(resp.Body)
		after, _ := benchcpu.Process()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s, %d bytes: %d %.300s", path, len(body), resp.StatusCode, answer)
		}
		least = min(least, after-before)
	}
	return max(least, time.Millisecond)
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
