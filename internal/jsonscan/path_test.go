package jsonscan

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// PathTo follows offset down through members and elements to the innermost
// value it falls in after that value's first byte: the scalar it ends, or
// the object or array whose opening bracket it follows.
func TestPathTo(t *testing.T) {
	for _, c := range []struct {
		body, at string // the offset is just after the first at in body
		want     string
	}{
		{`{"messages":[{"role":"user"},{"role":1}]}`, `"role":1`, "messages [1] role"},
		{`{"messages":[{"role":"user"},{"role":{"a":1}}]}`, `"role":{`, "messages [1] role"},
		{`{"messages":[{"role":"user"},{"role":[1,2]}]}`, `"role":[`, "messages [1] role"},
		{"[ 1 ,\n [ 2, [3, \"x\" ] ] ]", `"x"`, "[1] [1] [1]"},
		{`{"a\"b":{"c\u0064":true}}`, `true`, `a"b cd`},
		{`{"a":[]}`, `[`, "a"},
		{`{"a":{}}`, `:{`, "a"},
		{`{"a":1}`, `{`, ""},
		{`7`, `7`, ""},
		{`{"a":"x","b":"y"}`, `"x"`, "a"},
		{`{"a":"x","b":"y"}`, `"x",`, ""},
	} {
		off := strings.Index(c.body, c.at) + len(c.at)
		if got := pathString(PathTo([]byte(c.body), off)); got != c.want {
			t.Errorf("%s at %d: %q, want %q", c.body, off, got, c.want)
		}
	}
}

// FuzzPathTo: at any offset of any valid JSON, the path leads along what
// the JSON holds (each name a member of the object it steps into, each
// index an element), and PathTo does not fail.
func FuzzPathTo(f *testing.F) {
	f.Add(`{"messages":[{"role":"user"},{"role":1}]}`, 38)
	f.Add(`[[1,[2]],{"a":{"b":[{"c":"d"}]}}]`, 25)
	f.Fuzz(func(t *testing.T, body string, off int) {
		if !json.Valid([]byte(body)) {
			return
		}
		var v any
		d := json.NewDecoder(strings.NewReader(body))
		d.UseNumber() // a number too large for a float64 is valid JSON
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		for _, step := range PathTo([]byte(body), off) {
			switch c := v.(type) {
			case map[string]any:
				if step.Element {
					t.Fatalf("%s at %d: an index into an object", body, off)
				}
				var ok bool
				if v, ok = c[step.Name]; !ok {
					t.Fatalf("%s at %d: no member %q", body, off, step.Name)
				}
			case []any:
				if !step.Element || step.Index >= len(c) {
					t.Fatalf("%s at %d: %+v into %d elements", body, off, step, len(c))
				}
				v = c[step.Index]
			default:
				t.Fatalf("%s at %d: a step into a scalar", body, off)
			}
		}
	})
}

func pathString(path []PathStep) string {
	var s []string
	for _, p := range path {
		if p.Element {
			s = append(s, fmt.Sprintf("[%d]", p.Index))
		} else {
			s = append(s, p.Name)
		}
	}
	return strings.Join(s, " ")
}
