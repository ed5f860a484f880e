package openai

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"qwenproxy/internal/jsonscan"
)

func TestCheckFieldsOrderAndBounds(t *testing.T) {
	body := `{"zeta":1,"seed":1,"messages":[],"temperature":null,"alpha":{"x":1}}`
	got, err := CheckFields([]byte(body), ChatFields)
	if err != nil || strings.Join(got, ",") != "zeta,seed,alpha" {
		t.Fatalf("%v %v", got, err)
	}
	var b strings.Builder
	b.WriteString("{")
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"x` + strings.Repeat("y", i) + `":1`)
	}
	b.WriteString("}")
	if got, _ := CheckFields([]byte(b.String()), ChatFields); len(got) != maxIgnored || len(got[99%maxIgnored]) > 64 {
		t.Fatalf("%d ignored names recorded", len(got))
	}
}

// TestCheckFieldsLeavesMalformedJSONToDecode: a value CheckFields does not
// check (messages, tools, unknown fields) is validated by Decode, yet a body
// malformed before its first bad field is still reported as malformed JSON,
// and one whose bad field comes first still as that field.
func TestCheckFieldsLeavesMalformedJSONToDecode(t *testing.T) {
	for _, c := range []struct {
		body, param string // param "": no field error (Decode reports what is wrong)
	}{
		{`{"messages":[1,,2],"temperature":"hot"}`, ""},
		{`{"temperature":"hot","messages":[1,,2]}`, "temperature"},
		{`{"messages":[1,,2],"model":"x"}`, ""},
		{`{"vendor":{"a":},"stream":"yes"}`, ""},
		{`{"vendor":{"a":1},"stream":"yes"}`, "stream"},
		{`{"stream":tru,"model":1}`, ""},
		{`{"model":"a\u0062c","stream":true,"service_tier":"fast"}`, ""},
		{`{"model":123}`, "model"},
		{`{"service_tier":"slow"}`, "service_tier"},
		{`{"prompt_cache_retention":"24h","user":"\u00e9"}`, ""},
	} {
		_, err := CheckFields([]byte(c.body), ChatFields)
		got := ""
		if err != nil {
			got = err.Param
		}
		if got != c.param {
			t.Errorf("%s: field error on %q, want %q (%v)", c.body, got, c.param, err)
		}
	}
}

// FuzzCheckFields holds CheckFields to its contract, field by field: the
// error is the first bad field's (each field judged alone, in a body of its
// own) unless a value before it, or its own, is not valid JSON — then there
// is none and Decode reports the body.
func FuzzCheckFields(f *testing.F) {
	for _, seed := range []string{`{"messages":[1,,2],"temperature":"hot"}`, `{"temperature":"hot","messages":[1,,2]}`,
		`{"model":"x","stream":true,"n":2}`, `{"stop":["a","b"],"seed":1.5}`, `{"x":{"a":[}]},"logprobs":true}`, `{"model":"\u00e9"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var want *Error
		jsonscan.EachField(body, func(name string, v json.RawMessage) bool {
			if !json.Valid(v) {
				return false
			}
			one, _ := json.Marshal(name)
			_, want = CheckFields([]byte(`{`+string(one)+`:`+string(v)+`}`), ChatFields)
			return want == nil
		})
		_, got := CheckFields(body, ChatFields)
		if (got == nil) != (want == nil) || got != nil && got.Message != want.Message {
			t.Fatalf("%q: CheckFields says %v, its fields alone %v", body, got, want)
		}
	})
}

// An integer out of range is told which bound it crossed (a seed too large
// was told it "must be at least -9.22e+18").
func TestIntegerRangeErrorsNameTheBound(t *testing.T) {
	for body, want := range map[string]string{
		`{"seed":123456789012345678901234567890}`: "seed must be at most 9223372036854775807, not 1.2345678901234568e+29",
		`{"seed":-1e19}`:      "seed must be at least -9223372036854775808, not -1e+19",
		`{"max_tokens":0}`:    "max_tokens must be at least 1, not 0",
		`{"max_tokens":1e30}`: "max_tokens must be at most 9223372036854775807, not 1e+30",
		`{"top_logprobs":21}`: "top_logprobs must be between 0 and 20, not 21",
	} {
		_, err := CheckFields([]byte(body), ChatFields)
		if err == nil || err.Message != want {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}

// encoding/json, which Decode uses, gives a key to a field whatever its case
// (with Unicode's simple folding: "N", "Temperature", "enable_thin\u212Aing"
// with a Kelvin sign), so such a key gets the field's policy: found by a
// trial, "N": 2 was accepted and answered with one choice.
func TestFieldsMatchKeysAsDecodeDoes(t *testing.T) {
	for body, want := range map[string]string{ // the key as sent, or its field's name
		`{"N":2}`:                           "N",
		`{"Temperature":5}`:                 "Temperature",
		`{"enable_thin\u212Aing":"yes"}`:    "enable_thin\u212Aing",
		`{"n":1,"N":3}`:                     "N",
		`{"STOP":["a","b","c","d","e"]}`:    "stop",
		`{"\u017Ftream":"yes","model":"m"}`: "\u017Ftream", // ſ folds to s
	} {
		_, err := CheckFields([]byte(body), ChatFields)
		if err == nil || err.Param != want {
			t.Errorf("%s: %+v, want a 400 naming %q", body, err, want)
		}
	}
	// Such a key's value is checked and, for an ignored field, recorded as
	// sent; a key no field folds to is still an ignored vendor extension.
	ignored, err := CheckFields([]byte(`{"Temperature":0.5,"Top_P":1,"x_vendor":true}`), ChatFields)
	if err != nil || !slices.Equal(ignored, []string{"Temperature", "Top_P", "x_vendor"}) {
		t.Errorf("ignored %q, %v", ignored, err)
	}
}
