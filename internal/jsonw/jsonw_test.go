package jsonw

import (
	"encoding/json"
	"strings"
	"testing"
)

var strs = []string{"", "plain", `quote " and \ backslash`, "line\nbreak\ttab\r", "ctrl \x00\x1f\b\f\x7f", "<html> & more",
	"emoji 🌌 and ’", "sep \u2028 \u2029", "bad \xff utf8 \xe2\x80", strings.Repeat("é", 100)}

func check(t *testing.T, s string) {
	t.Helper()
	want, _ := json.Marshal(s)
	if got := String(nil, s); string(got) != string(want) {
		t.Fatalf("String(%q) = %s, encoding/json writes %s", s, got, want)
	}
	list := []string{s, "x"}
	want, _ = json.Marshal(list)
	if got := Strings(nil, list); string(got) != string(want) {
		t.Fatalf("Strings(%q) = %s, encoding/json writes %s", list, got, want)
	}
	want, _ = json.Marshal(&s)
	if got := StringOrNull(nil, &s); string(got) != string(want) {
		t.Fatalf("StringOrNull(%q) = %s, encoding/json writes %s", s, got, want)
	}
}

func TestAsEncodingJSON(t *testing.T) {
	for _, s := range strs {
		check(t, s)
	}
	for _, c := range []struct {
		got  []byte
		want any
	}{{Strings(nil, nil), []string(nil)}, {StringOrNull(nil, nil), (*string)(nil)}, {Bool(nil, true), true}, {Int(nil, -42), -42}} {
		want, _ := json.Marshal(c.want)
		if string(c.got) != string(want) {
			t.Errorf("%s, encoding/json writes %s", c.got, want)
		}
	}
}

// FuzzString holds String to json.Marshal on any bytes.
func FuzzString(f *testing.F) {
	for _, s := range strs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { check(t, s) })
}
