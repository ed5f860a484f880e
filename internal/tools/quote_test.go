package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

// skillSet declares the tools coding agents declare: a skill tool whose
// skills the system prompt lists as <skill><name>…</name>…</skill>, and a
// write tool.
func skillSet(t *testing.T) *Set {
	t.Helper()
	set, err := ParseSet(json.RawMessage(`[
		{"type":"function","function":{"name":"skill","parameters":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}},
		{"type":"function","function":{"name":"write","parameters":{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}}},
		{"type":"function","function":{"name":"todo","parameters":{"type":"object","properties":{}}}}]`), nil)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestMarkupRules is the table of what counts as a call, checked on the whole
// answer and on the same answer streamed one byte at a time.
func TestMarkupRules(t *testing.T) {
	set := skillSet(t)
	const call = "<tool_call>{\"name\":\"write\",\"arguments\":{\"path\":\"a\",\"content\":\"b\"}}</tool_call>"
	const write = `write {"path":"a","content":"b"}`
	listing := "<skill><name>pdf</name><description>Reads PDFs</description></skill>"
	cases := []struct {
		name, answer string
		calls        []string // nil: the whole answer stays text
	}{
		// The original's XML form: only declared parameters, nothing else.
		{"skill listing quoted bare", "Your skills:\n" + listing + "\n" + listing, nil},
		{"xml with only declared parameters", "<skill><name>pdf</name></skill>", []string{`skill {"name":"pdf"}`}},
		{"xml with an undeclared parameter", "<skill><name>pdf</name><location>x</location></skill>", nil},
		{"xml with prose between parameters", "<skill>load <name>pdf</name></skill>", nil},
		{"xml with prose after parameters", "<skill><name>pdf</name> then stop</skill>", nil},
		{"xml missing a required parameter", "<write><path>a</path></write>", nil},
		{"xml empty, tool without parameters", "<todo></todo>", []string{`todo {}`}},
		{"xml empty, tool with required parameters", "<skill></skill>", nil},
		{"xml unclosed at the end", "<skill><name>pdf</name>", nil},
		// Quotation: code blocks, inline code, blockquotes.
		{"call in a fenced code block", "Example:\n```\n" + call + "\n```\n", nil},
		{"call in a tilde fence with info string", "~~~xml\n" + call + "\n~~~", nil},
		{"xml in a fenced code block", "```xml\n<skill><name>pdf</name></skill>\n```", nil},
		{"call in inline code", "Write `" + call + "` to call.", nil},
		{"call in double-backtick inline code", "Write ``" + call + "`` to call.", nil},
		{"call in a blockquote", "You wrote:\n> " + call + "\n", nil},
		{"xml in a blockquote", "> <skill><name>pdf</name></skill>", nil},
		// After the quotation ends, markup is meant again.
		{"call after a closed fence", "```\nx\n```\n" + call, []string{write}},
		{"call after closed inline code", "Use `write`: " + call, []string{write}},
		{"call on the line after a blockquote", "> quoted\n" + call, []string{write}},
		{"stray backtick ends with its line", "a ` b\n" + call, []string{write}},
		{"fence inside a call does not open a block", "<tool_call>```json\n{\"name\":\"todo\",\"arguments\":{}}\n```</tool_call>\n" + call, []string{`todo {}`, write}},
		// The <tool_call> form, the one the instructions teach.
		{"plain call", call, []string{write}},
		{"call naming an undeclared tool", "<tool_call>{\"name\":\"skills\",\"arguments\":{}}</tool_call>", nil},
		{"call quoting the instructions' template", "<tool_call>\n{\"name\": \"<function name>\", \"arguments\": {<arguments as a JSON object>}}\n</tool_call>", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(how, content string, calls []Call) {
				t.Helper()
				var got []string
				for _, c := range calls {
					got = append(got, c.Name+" "+c.Arguments)
				}
				if strings.Join(got, "|") != strings.Join(tc.calls, "|") {
					t.Errorf("%s: calls %v, want %v", how, got, tc.calls)
				}
				if tc.calls == nil && content != tc.answer {
					t.Errorf("%s: text %q, want the answer unchanged", how, content)
				}
			}
			content, calls := set.Parse(tc.answer)
			check("whole", content, calls)
			f := set.NewFilter()
			var text strings.Builder
			calls = nil
			for i := range len(tc.answer) {
				out, cs := f.Feed(tc.answer[i : i+1])
				text.WriteString(out)
				calls = append(calls, cs...)
			}
			out, cs := f.Flush()
			text.WriteString(out)
			check("streamed", text.String(), append(calls, cs...))
		})
	}
}
