package anthropic

import (
	"strings"
	"testing"

	qp "qwenproxy"
)

// A call cut short while its arguments streamed is recorded with the object
// they began, its open string, arrays and objects closed and what cannot be
// closed (a key without its value) left out; it was recorded as {}.
func TestACutCallKeepsTheInputItBegan(t *testing.T) {
	for _, c := range []struct{ arguments, want string }{
		{`{"city": "Oslo"}`, `{"city": "Oslo"}`},
		{`{"city": "Os`, `{"city": "Os"}`},
		{`{"city": "Oslo", "days": [1, 2`, `{"city": "Oslo", "days": [1, 2]}`},
		{`{"city": "Oslo", "da`, `{"city": "Oslo"}`},
		{`{"city": "Oslo", `, `{"city": "Oslo"}`},
		{`{"city":`, `{}`},
		{`{"path": "C:\\dir\`, `{"path": "C:\\dir"}`},
		{`{"a": {"b": "c`, `{"a": {"b": "c"}}`},
		{``, `{}`},
		{`[1, 2`, `{}`},
		{`{` + strings.Repeat(" ", maxPartialInput), `{}`},
	} {
		got := ToolUseBlock(qp.ToolCall{ID: "call_1", Name: "f", Arguments: c.arguments})
		if string(got.Input) != c.want {
			t.Errorf("arguments %.40q: input %s, want %s", c.arguments, got.Input, c.want)
		}
	}
}
