package jsonedit

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"qwenproxy/internal/jsonscan"
)

// hide is an editor for the tests: members named like "secret…" (not
// objects) become "*", strings starting with "x" become "y".
var hide = Editor{
	Member: func(_ Object, name string, v []byte) ([]byte, bool) {
		if !strings.HasPrefix(name, "secret") || v[0] == '{' {
			return nil, false
		}
		return []byte(`"*"`), true
	},
	String: func(v []byte) ([]byte, bool) {
		s, _ := jsonscan.StringValue(v)
		if !strings.HasPrefix(s, "x") {
			return nil, false
		}
		return []byte(`"y"`), true
	},
}

// hideTree is hide on a decoded document: the reference.
func hideTree(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if _, isObj := e.(map[string]any); strings.HasPrefix(k, "secret") && !isObj {
				x[k] = "*"
				continue
			}
			x[k] = hideTree(e)
		}
	case []any:
		for i := range x {
			x[i] = hideTree(x[i])
		}
	case string:
		if strings.HasPrefix(x, "x") {
			return "y"
		}
	}
	return v
}

func TestRewriteLeavesEveryOtherByte(t *testing.T) {
	doc := "{ \"z\": 1,\n  \"secret_a\" : [1, 2],\"a\":[ {\"secretB\":null, \"k\":\"xyz\"}, \"x\", \"<&>\" ],\n \"secret\": {\"secret\": true, \"n\": 1.50} }"
	want := "{ \"z\": 1,\n  \"secret_a\" : \"*\",\"a\":[ {\"secretB\":\"*\", \"k\":\"y\"}, \"y\", \"<&>\" ],\n \"secret\": {\"secret\": \"*\", \"n\": 1.50} }"
	got, changed := hide.Rewrite([]byte(doc))
	if string(got) != want || !changed {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	for _, same := range []string{`{"a":[1,"b",{"c":null}]}`, `not json "x"`, ``, `"plain"`} {
		if got, changed := hide.Rewrite([]byte(same)); string(got) != same || changed {
			t.Errorf("%q became %q", same, got)
		}
	}
}

func TestObjectStringReadsTheLastMember(t *testing.T) {
	var seen string
	e := Editor{Member: func(obj Object, name string, _ []byte) ([]byte, bool) {
		if name == "data" {
			seen, _ = obj.String("type")
		}
		return nil, false
	}}
	e.Rewrite([]byte(`{"type":"url","data":"d","type":"base\u0036\u0034"}`))
	if seen != "base64" {
		t.Fatalf("type %q", seen)
	}
}

// FuzzRewrite holds Rewrite to the same edits made on the decoded tree.
func FuzzRewrite(f *testing.F) {
	for _, seed := range []string{`{"secret":"s","a":["x1",{"secret2":[1]}]}`, `["x", "\u0078y", {"secret":{"secret":1}}]`, `"x"`, `{"a":{"secret":"v","secret":"w"}}`, `{"b":"\ud800x"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, _ := hide.Rewrite(doc)
		var want any
		if json.Unmarshal(doc, &want) != nil {
			if string(got) != string(doc) {
				t.Fatalf("not JSON, yet rewritten: %q", got)
			}
			return
		}
		var back any
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q became %q: %v", doc, got, err)
		}
		if want = hideTree(want); !reflect.DeepEqual(back, want) {
			t.Fatalf("%q became %q, want %v", doc, got, want)
		}
	})
}
