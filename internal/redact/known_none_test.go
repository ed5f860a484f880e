package redact

import "testing"

// The masker of nothing (a call that hid no value, no cookies) is nil, and
// asking for it costs no allocation: a call's record asks twice. A nil
// Known masks nothing.
func TestTheMaskerOfNothingIsFree(t *testing.T) {
	if k := NewKnown(""); k != nil {
		t.Fatalf("NewKnown() = %v, want nil", k)
	}
	var none []string
	if n := testing.AllocsPerRun(100, func() { NewKnown("", none...) }); n != 0 {
		t.Fatalf("%v allocations for the masker of nothing", n)
	}
	body := []byte(`{"a":"secret-value"}`)
	if got := NewKnown("").JSON(body); string(got) != string(body) {
		t.Fatalf("the masker of nothing changed %s to %s", body, got)
	}
	if NewKnown("", "secret-value").JSON(body) == nil || string(NewKnown("", "secret-value").JSON(body)) == string(body) {
		t.Fatal("a masker of a value masked nothing")
	}
}
