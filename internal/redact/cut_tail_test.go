package redact

import "testing"

// CutTail masks the end of a text cut short when it is the start of a
// known value, at least MinCutTail bytes of it, the longest such start;
// it leaves a text that ends otherwise as it is, and does not touch the
// text it was given.
func TestCutTailMasksTheStartOfAValueAtTheEnd(t *testing.T) {
	k := NewKnown("acw_tc=cookieValue99", "hunter2PASSWORDxyz", "hunter2PASS-other")
	for _, c := range []struct{ in, want string }{
		{"a name that ends hunter2", "a name that ends " + Placeholder},
		{"a name that ends hunter2PASS", "a name that ends " + Placeholder},
		{"a name that ends hunter2PASSWORDxy", "a name that ends " + Placeholder},
		{"a name with a cookie cookieVa", "a name with a cookie " + Placeholder},
		{"a name that ends hun", "a name that ends hun"},
		{"a name that ends otherwise", "a name that ends otherwise"},
		{"", ""},
	} {
		in := []byte(c.in)
		if got := string(k.CutTail(in)); got != c.want {
			t.Errorf("CutTail(%q) = %q, want %q", c.in, got, c.want)
		}
		if string(in) != c.in {
			t.Errorf("CutTail changed its input to %q", in)
		}
	}
	var none *Known
	if got := string(none.CutTail([]byte("hunter2"))); got != "hunter2" {
		t.Errorf("a nil Known's CutTail = %q", got)
	}
}
