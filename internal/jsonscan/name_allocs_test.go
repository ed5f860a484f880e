package jsonscan

import (
	"encoding/json"
	"testing"
)

// TestEachFieldAllocatesOnlyItsNames: reading an object's fields costs one
// allocation a name (its string), none more, whatever the object.
func TestEachFieldAllocatesOnlyItsNames(t *testing.T) {
	obj := []byte(`{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}],"stream":false}`)
	nothing := func(string, json.RawMessage) bool { return true }
	if n := testing.AllocsPerRun(100, func() { EachField(obj, nothing) }); n != 3 {
		t.Errorf("EachField: %v allocations for three names", n)
	}
	// A name with escapes is still read (encoding/json's way).
	var names []string
	EachField([]byte(`{"\u0072ole":1,"a\"b":2}`), func(name string, _ json.RawMessage) bool {
		names = append(names, name)
		return true
	})
	if len(names) != 2 || names[0] != "role" || names[1] != `a"b` {
		t.Errorf("names %q", names)
	}
}
