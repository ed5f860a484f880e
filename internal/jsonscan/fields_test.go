package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"testing"
)

// EachField agrees with encoding/json on what a top-level object holds,
// in order, and on what is not one.
func FuzzEachField(f *testing.F) {
	for _, seed := range []string{`{}`, ` { "a" : 1 , "b":[1,{"c":"}"}], "d\\"e":"x\\\\" } `, `{"a":}`, `{"a":1,}`, `[1]`, `{"a":"\u00e9"}`, `{"a":1}x`, `{"a" 1}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var names []string
		var values []string
		ok := EachField(body, func(name string, v json.RawMessage) bool {
			names, values = append(names, name), append(values, string(v))
			return true
		})
		// EachField checks the object's frame; its values' grammar is the
		// caller's to check.
		valuesValid := true
		for _, v := range values {
			valuesValid = valuesValid && json.Valid([]byte(v))
		}
		var m map[string]json.RawMessage
		valid := json.Unmarshal(body, &m) == nil && m != nil
		if ok && valuesValid != valid {
			t.Fatalf("EachField and its values' json.Valid say %v, encoding/json %v, for %q", ok && valuesValid, valid, body)
		}
		if valid && !ok {
			t.Fatalf("EachField refuses the object %q", body)
		}
		if !valid {
			return
		}
		for i, name := range names {
			if _, found := m[name]; !found {
				t.Fatalf("%q: field %q = %q", body, name, values[i])
			}
		}
		if len(names) < len(m) {
			t.Fatalf("%q: %d fields seen, %d in the object", body, len(names), len(m))
		}
	})
}

// FuzzUnescapedString holds the fast read of a message's text to
// encoding/json: whatever it reads, encoding/json reads the same.
func FuzzUnescapedString(f *testing.F) {
	for _, seed := range []string{`""`, `"model"`, `"max_tokens"`, `"plain text"`, `"a\"b"`, `"caf\u00e9"`, "\"caf\xc3\xa9\"", "\"\xff\"", "\"\x7f\"", "\"tab\there\""} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, lit []byte) {
		got, ok := unescapedString(lit)
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal(lit, &want); err != nil || got != want {
			t.Fatalf("unescapedString(%q) = %q, encoding/json %q (%v)", lit, got, want, err)
		}
	})
}

// FuzzDecodeString holds DecodeString to encoding/json: whatever it reads,
// json.Unmarshal reads alike.
func FuzzDecodeString(f *testing.F) {
	for _, seed := range []string{`"plain"`, `"a\nb\t\"q\"\\"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, "\"tab\there\"", "\"\xff\\n\"", `null`, `"a\"`, `"\x"`, `7`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		got := "unchanged"
		if !DecodeString(v, &got) {
			return
		}
		want := "unchanged"
		if err := json.Unmarshal(v, &want); err != nil || got != want {
			t.Fatalf("DecodeString(%q) = %q, encoding/json %q (%v)", v, got, want, err)
		}
	})
}

// FuzzValidValue holds validValue to json.Valid.
func FuzzValidValue(f *testing.F) {
	for _, seed := range []string{`"a\"b"`, `[{"type":"text","text":"x\ny"},{"a":[1,2,{"b":null}]}]`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `[ ]`, ` [1] `,
		`{"\u00e9":"\ud800"}`, "[\"\x01\"]", `{"a":"b"}x`, `[[[[[[[[]]]]]]]]`, `{"a":01}`, `["\x"]`, `"`, `[`, `{`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if got, want := validValue(v), json.Valid(v); got != want {
			t.Fatalf("validValue(%q) = %v, json.Valid %v", v, got, want)
		}
	})
}

// anySpecial is exact: every byte value at every position, among fillers
// next to the edges it tests (space, 0x21, 0x80, 0xff).
func TestAnySpecialIsExact(t *testing.T) {
	for _, filler := range []byte{'a', ' ', 0x21, 0x80, 0xff, '"' + 1, '\\' + 1} {
		for pos := range 8 {
			for c := range 256 {
				w := bytes.Repeat([]byte{filler}, 8)
				w[pos] = byte(c)
				want := c < 0x20 || c == '"' || c == '\\'
				if got := anySpecial(binary.LittleEndian.Uint64(w)); got != want {
					t.Fatalf("% x: %v, want %v", w, got, want)
				}
			}
		}
	}
}
