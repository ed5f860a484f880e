package server

import (
	"testing"

	qp "qwenproxy"
)

// A turn's answered call is the first tool result naming a call the proxy
// made: legacy function results (their ids derived from positions) and
// ids of a client's own name none, and cost no lookup.
func TestAnsweredCallIsOneTheProxyMade(t *testing.T) {
	const minted = "call_Ab3dEf6hIj9kLm2nOp5qRs8t"
	for _, c := range []struct {
		turn []qp.Message
		want string
	}{
		{[]qp.Message{{Role: "tool", ToolCallID: minted}, {Role: "tool", ToolCallID: "call_Zz3dEf6hIj9kLm2nOp5qRs8t"}}, minted},
		{[]qp.Message{{Role: "tool", ToolCallID: "call_function_2"}, {Role: "tool", ToolCallID: minted}}, minted},
		{[]qp.Message{{Role: "tool", ToolCallID: "call_function_2"}}, ""},
		{[]qp.Message{{Role: "tool", ToolCallID: "my-own-id"}, {Role: "user", Text: "and then?"}}, ""},
		{[]qp.Message{{Role: "tool", ToolCallID: minted + "x"}, {Role: "tool", ToolCallID: "call_Ab3dEf6hIj9kLm2nOp5qRs-t"}}, ""},
		{[]qp.Message{{Role: "user", Text: minted}}, ""},
	} {
		if got := answeredCall(c.turn); got != c.want {
			t.Errorf("%+v: answered %q, want %q", c.turn, got, c.want)
		}
	}
}
