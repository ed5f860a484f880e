package jsonscan

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestADecodersNamesAreItsKeys: a decoder reading an object whose names are
// its keys, as they are written in every request, allocates no name; and
// eachField with known names gives the names and values EachField gives,
// however they are written (escaped, in another case, unknown, repeated).
func TestADecodersNamesAreItsKeys(t *testing.T) {
	keys := []string{"role", "content", "name"}
	obj := []byte(`{"role":"user","content":"hi","name":"x"}`)
	nothing := func(string, json.RawMessage) bool { return true }
	if n := testing.AllocsPerRun(100, func() { DecodeFields(obj, keys, nothing) }); n != 0 {
		t.Errorf("DecodeFields: %v allocations", n)
	}
	type field struct{ name, v string }
	read := func(each func(fn func(string, json.RawMessage) bool) bool) ([]field, bool) {
		var fs []field
		ok := each(func(name string, v json.RawMessage) bool {
			fs = append(fs, field{name, string(v)})
			return true
		})
		return fs, ok
	}
	for _, body := range []string{
		`{"role":"user","content":"hi","name":"x"}`,
		`{"\u0072ole":"user", "Content" : 1,"other":[1,{"role":2}]}`,
		`{"role":"a","role":"b","":0,"rolex":1,"rol":2}`,
		`{"ro\"le":1}`, `{"role":1,}`, `{"role"}`, `{}`, `[]`, `{"r`,
		"{\"r\xffle\":1}",
	} {
		want, wantOK := read(func(fn func(string, json.RawMessage) bool) bool { return EachField([]byte(body), fn) })
		got, gotOK := read(func(fn func(string, json.RawMessage) bool) bool { return eachField([]byte(body), keys, fn) })
		if gotOK != wantOK || !slices.Equal(got, want) {
			t.Errorf("%s: with keys %v %v, EachField %v %v", body, got, gotOK, want, wantOK)
		}
	}
}
