package jsonscan

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// One value written by different encoders appends the same bytes.
func TestAppendNormalOfOneValue(t *testing.T) {
	for want, forms := range map[string][]string{
		`{"city":"Zürich","n":[1,2.5,true,null]}`: {
			`{"city":"Zürich","n":[1,2.5,true,null]}`,                               // JSON.stringify
			`{"city": "Z\u00fcrich", "n": [1, 2.5, true, null]}`,                    // json.dumps
			"{\n  \"city\": \"Z\\u00FCrich\",\n  \"n\": [\n 1,2.5 ,true,null]\r\n}", // indented, upper hex
		},
		`{"a":{"x":1,"y":[{"b":2,"c":3}]},"z":"last"}`: {
			`{"z": "first", "a": {"y": [{"c": 3, "b": 2}], "x": 1}, "z": "last"}`, // keys in any order; of two, the last
			`{"a":{"x":1,"y":[{"b":2,"c":3}]},"z":"last"}`,                        // Go's json.Marshal: sorted
		},
		`{"html":"<a href=\"x\">&</a>","path":"a/b"}`: {
			`{"html":"\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e","path":"a\/b"}`, // Go's json.Marshal, an escaped slash
			`{"html": "<a href=\u0022x\u0022>&</a>", "path": "a/b"}`,
		},
		`"😀 \n\t\\ \u0001 \b"`:    {`"\ud83d\ude00 \u000a\u0009\u005c \u0001 \u0008"`, `"😀 \n\t\\ \u0001 \b"`},
		`"lone \ud800 surrogate"`: {}, // as encoding/json reads it: U+FFFD
		`"\u2028"`:                {`"\u2028"`},
	} {
		if want == `"lone \ud800 surrogate"` {
			if got := string(AppendNormal(nil, []byte(want))); got != "\"lone \ufffd surrogate\"" {
				t.Errorf("AppendNormal(%s) = %s", want, got)
			}
			continue
		}
		if want == `"\u2028"` {
			if got := string(AppendNormal(nil, []byte(want))); got != "\"\u2028\"" {
				t.Errorf("AppendNormal(%s) = %s", want, got)
			}
			continue
		}
		for _, form := range forms {
			if got := string(AppendNormal(nil, []byte(form))); got != want {
				t.Errorf("AppendNormal(%s) = %s, want %s", form, got, want)
			}
		}
	}
}

// Whatever valid JSON it is given, AppendNormal gives valid JSON of the same
// value, in a form it keeps, and the same form as the value re-encoded
// compact or indented by encoding/json.
// Numbers read as a float64 reads them append alike: as JavaScript resends
// them (1234567890123456789 as 1234567890123456800, 1.0 as 1).
func TestAppendNormalDoubles(t *testing.T) {
	for in, want := range map[string]string{
		`{"b": 1.0, "a": [1e2, 1234567890123456789, 0.0000001, -0.50, 1e21]}`: `{"a":[100,1234567890123456800,1e-7,-0.5,1e+21],"b":1}`,
		`{"n": 1e400, "s": "1.0"}`: `{"n":1e400,"s":"1.0"}`, // beyond a float64, and a string: as written
	} {
		if got := AppendNormalDoubles(nil, []byte(in)); string(got) != want {
			t.Errorf("AppendNormalDoubles(%s) = %s, want %s", in, got, want)
		}
	}
	if got := AppendNormal(nil, []byte(`[1.0]`)); string(got) != `[1.0]` {
		t.Errorf("AppendNormal keeps numbers as written: got %s", got)
	}
}

func FuzzAppendNormal(f *testing.F) {
	for _, s := range []string{`{"a": "b\u00e9\/", "c": [1, 2]}`, `"\ud83d\ude00\ud800x"`, `[{"x":{"y":null}}, "\u0000"]`, `12.50e3`, `" \" \\ "`,
		`{"b":1,"a":{"d":[],"c":{}},"b":2}`, "\"bad \xff utf8\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !json.Valid([]byte(v)) {
			return
		}
		normal := AppendNormal(nil, []byte(v))
		decode := func(b []byte) (any, error) { // numbers as written: 1e1000 is JSON
			d := json.NewDecoder(bytes.NewReader(b))
			d.UseNumber()
			var v any
			return v, d.Decode(&v)
		}
		b, err := decode(normal)
		if err != nil {
			t.Fatalf("AppendNormal(%q) = %q, not JSON: %v", v, normal, err)
		}
		a, _ := decode([]byte(v))
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("AppendNormal(%q) = %q: %v, want %v", v, normal, b, a)
		}
		if again := AppendNormal(nil, normal); string(again) != string(normal) {
			t.Fatalf("AppendNormal(%q) = %q, and of that %q", v, normal, again)
		}
		// The value as encoding/json writes it (keys sorted, the last of a
		// key given twice, <, > and & escaped) is in the same normal form.
		compact, _ := json.Marshal(a)
		indented, _ := json.MarshalIndent(a, "", "  ")
		if x, y := AppendNormal(nil, compact), AppendNormal(nil, indented); string(x) != string(normal) || string(y) != string(normal) {
			t.Fatalf("%q: %q, compact %q, indented %q", v, normal, x, y)
		}
		// With doubles, each number as encoding/json writes the float64 it
		// reads (where every number fits one).
		var f any
		if json.Unmarshal([]byte(v), &f) == nil {
			doubles := AppendNormalDoubles(nil, []byte(v))
			written, _ := json.Marshal(f)
			if want := AppendNormal(nil, written); string(doubles) != string(want) {
				t.Fatalf("AppendNormalDoubles(%q) = %q, want %q", v, doubles, want)
			}
		}
	})
}
