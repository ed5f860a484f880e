package anthropic

import "testing"

func TestToolUseIDsRoundTrip(t *testing.T) {
	for _, c := range []struct{ core, client string }{
		{"call_a1B2", "toolu_a1B2"}, // minted by the core: shown in Anthropic's form
		{"abc", "abc"},              // a client's own form: passes as it is
	} {
		if got := ToolUseID(c.core); got != c.client {
			t.Errorf("ToolUseID(%q) = %q, want %q", c.core, got, c.client)
		}
		if got := CallID(c.client); got != c.core {
			t.Errorf("CallID(%q) = %q, want %q", c.client, got, c.core)
		}
	}
	// An id given out before the renaming, resent by a client, stays the
	// core's own.
	if got := CallID("call_x"); got != "call_x" {
		t.Errorf("CallID(call_x) = %q", got)
	}
}
