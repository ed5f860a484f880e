package sqlite

import (
	"database/sql/driver"
	"testing"
)

// TestAFoldedTextIsItsOwnValueWhenFoldingLeavesIt: qwenproxy_fold's value is
// the folded text, a string, whatever it is given (text in lower case,
// upper case, beyond ASCII, not UTF-8, as a blob); and a text folding
// leaves as it is costs no allocation.
func TestAFoldedTextIsItsOwnValueWhenFoldingLeavesIt(t *testing.T) {
	for _, v := range []driver.Value{
		"", "hello, world", "Hello", "HÉLLO", "héllo", "\u212a", "ς", "bad \xff utf-8", []byte("Blob"), []byte("blob"),
	} {
		text, _ := textOf(v)
		got := foldedValue(v, text)
		if s, ok := got.(string); !ok || s != string(appendFolded(nil, text)) {
			t.Errorf("%q: %#v, want %q", v, got, appendFolded(nil, text))
		}
	}
	var v driver.Value = "explain this function, line by line, in plain words"
	foldedValue(v, v.(string)) // the pool's buffer, grown
	if n := testing.AllocsPerRun(100, func() { foldedValue(v, v.(string)) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
