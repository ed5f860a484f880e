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
		`{"seed":123456789012345678901234567890}`: "seed must be at most 9223372036854775807, not 123456789012345678901234567890",
		`{"seed":-1e19}`:      "seed must be at least -9223372036854775808, not -1e19",
		`{"seed":-1e400}`:     "seed must be at least -9223372036854775808, not -1e400",
		`{"seed":1e400}`:      "seed must be at most 9223372036854775807, not 1e400",
		`{"max_tokens":0}`:    "max_tokens must be at least 1, not 0",
		`{"max_tokens":1e30}`: "max_tokens must be at most 9223372036854775807, not 1e30",
		`{"top_logprobs":21}`: "top_logprobs must be between 0 and 20, not 21",
		// Just past an int64: as floats they were 2^63, MaxInt64's float,
		// and passed.
		`{"seed":9223372036854775808}`:           "seed must be at most 9223372036854775807, not 9223372036854775808",
		`{"seed":-9223372036854775809}`:          "seed must be at least -9223372036854775808, not -9223372036854775809",
		`{"max_tokens":9223372036854776832}`:     "max_tokens must be at most 9223372036854775807, not 9223372036854776832",
		`{"max_tokens":9.223372036854775808e18}`: "max_tokens must be at most 9223372036854775807, not 9.223372036854775808e18",
	} {
		_, err := CheckFields([]byte(body), ChatFields)
		if err == nil || err.Message != want {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}

// A field of the wrong type is told what it was, as every other type error
// is ("<param> must be <a type>, not <a value>"; it was "temperature must
// be a number"), and a list's or map's element of the wrong type is named
// (stop[1], metadata.a; a null element read as "" was taken); a number
// too large for any bound is told its bound, not that it is no number.
func TestAFieldOfTheWrongTypeIsToldWhatItWas(t *testing.T) {
	for body, want := range map[string]string{
		`{"temperature":"s"}`:   "temperature must be a number, not a string",
		`{"temperature":1e400}`: "temperature must be between 0 and 2, not 1e400",
		`{"max_tokens":1.5}`:    "max_tokens must be an integer, not 1.5",
		`{"max_tokens":99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999}`: "max_tokens must be at most 9223372036854775807, not 9999999999999999999999999999999999999999…",
		`{"stream":"yes"}`:                       "stream must be a boolean, not a string",
		`{"stream_options":{"include_usage":1}}`: "stream_options.include_usage must be a boolean, not 1",
		`{"user":5}`:                             "user must be a string, not 5",
		`{"stop":["a",1]}`:                       "stop[1] must be a string, not 1",
		`{"stop":[null]}`:                        "stop[0] must be a string, not null",
		`{"stop":5}`:                             "stop must be a string or an array of strings, not 5",
		`{"metadata":{"a":"b","c":5}}`:           "metadata.c must be a string, not 5",
		`{"metadata":{"a":null}}`:                "metadata.a must be a string, not null",
		`{"metadata":[]}`:                        "metadata must be an object of strings, not an array",
		`{"logit_bias":{"1":"s"}}`:               "logit_bias.1 must be a number, not a string",
		`{"logit_bias":{"1":null}}`:              "logit_bias.1 must be a number, not null",
		`{"logprobs":1}`:                         "logprobs must be a boolean, not 1",
		`{"reasoning_effort":7}`:                 "reasoning_effort must be a string, not 7",
		`{"service_tier":"gold"}`:                `service_tier must be one of auto, default, flex, scale, priority, fast, not "gold"`,
		`{"modalities":[7]}`:                     "modalities[0] must be a string, not 7",
	} {
		_, err := CheckFields([]byte(body), ChatFields)
		if err == nil || err.Message != want || err.Code != "invalid_type" && !strings.Contains(want, " not 1e400") && !strings.Contains(want, "at most") && !strings.Contains(want, "one of") {
			t.Errorf("%s: %+v, want %q", body, err, want)
		}
		if param, _, _ := strings.Cut(want, " "); err != nil && err.Param != param {
			t.Errorf("%s: param %q, want %q", body, err.Param, param)
		}
	}
}

// A chat content part's problem is told at its path, as the Responses API
// tells it (messages[0].content[1].text; it was "messages[0].content part
// 1: text …" with the param messages[0].content).
func TestAContentPartsProblemIsToldAtItsPath(t *testing.T) {
	for content, want := range map[string][2]string{
		`[{"type":"text","text":"a"},{"type":"text","text":7}]`: {"messages[1].content[1].text", "messages[1].content[1].text must be a string, not a number"},
		`["s"]`:                    {"messages[1].content[0]", "messages[1].content[0] must be a content part (an object), not a string"},
		`[{"type":"text"}]`:        {"messages[1].content[0].text", `messages[1].content[0] (type "text") is missing its text field`},
		`[{"type":"input_audio"}]`: {"messages[1].content[0].type", `messages[1].content[0].type is "input_audio"; only text, image_url and file parts are supported`},
		`[{"type":"image_url","image_url":{"url":"ftp://x"}}]`: {"messages[1].content[0].image_url.url", "messages[1].content[0].image_url.url must be a data: URL or an http(s) URL"},
		`[{"type":"file","file":{"file_id":"f"}}]`:             {"messages[1].content[0].file.file_id", "messages[1].content[0].file.file_id is not supported (the proxy has no Files API); send the file's bytes as file.file_data, a data: URL"},
	} {
		body := `{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":` + content + `}]}`
		var r ChatRequest
		err := Decode([]byte(body), &r)
		if err == nil {
			err = r.Validate()
		}
		if err == nil || err.Param != want[0] || err.Message != want[1] {
			t.Errorf("%s: %+v, want %s: %s", content, err, want[0], want[1])
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

// An assistant's tool call without its id or its name, or null, is refused
// as OpenAI refuses it; it was taken and told to Qwen as "(call )".
func TestAnAssistantsToolCallNeedsItsIDAndName(t *testing.T) {
	for calls, want := range map[string][2]string{
		`[{}]`:   {"messages[1].tool_calls[0].id", "messages[1].tool_calls[0] is missing required field: id"},
		`[null]`: {"messages[1].tool_calls[0].id", "messages[1].tool_calls[0] is missing required field: id"},
		`[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"c2","type":"function","function":{"arguments":"{}"}}]`: {"messages[1].tool_calls[1].function.name", "messages[1].tool_calls[1].function is missing required field: name"},
		`[{"id":"c1","type":"banana","function":{"name":"f"}}]`:                                                                                {"messages[1].tool_calls[0].type", `messages[1].tool_calls[0].type must be "function" or "custom", not "banana"`},
		`[{"id":"c1","function":{"name":"f","arguments":"{}"}}]`:                                                                               {"", ""}, // no type: a function's
	} {
		body := `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":` + calls +
			`},{"role":"tool","tool_call_id":"c1","content":"ok"},{"role":"tool","tool_call_id":"c2","content":"ok"}]}`
		var r ChatRequest
		err := Decode([]byte(body), &r)
		if err == nil {
			err = r.Validate()
		}
		if want[0] == "" {
			if err != nil {
				t.Errorf("%s: %v", calls, err)
			}
			continue
		}
		if err == nil || err.Param != want[0] || err.Message != want[1] {
			t.Errorf("%s: %+v, want %s: %s", calls, err, want[0], want[1])
		}
	}
}

// A legacy function_call naming its function by a number is told so at its
// path; it was told the forms function_call takes.
func TestALegacyFunctionCallOfTheWrongTypeIsToldAtItsPath(t *testing.T) {
	r := ChatRequest{Functions: json.RawMessage(`[{"name":"get"}]`), FunctionCall: json.RawMessage(`{"name":5}`)}
	err := r.MapLegacyFunctions()
	if err == nil || err.Param != "function_call.name" || err.Message != "function_call.name must be a string, not a number" {
		t.Fatalf("%+v", err)
	}
}

// Content of neither type says what it was; a legacy function_call in the
// history needs its name, as a tool call does.
func TestContentAndALegacyCallOfTheWrongShape(t *testing.T) {
	for messages, want := range map[string][2]string{
		`[{"role":"user","content":{}}]`: {"messages[0].content", "messages[0].content must be a string or an array of content parts, not an object"},
		`[{"role":"user","content":"hi"},{"role":"assistant","content":null,"function_call":{"arguments":"{}"}},{"role":"function","name":"f","content":"ok"}]`: {"messages[1].function_call.name", "messages[1].function_call is missing required field: name"},
	} {
		var r ChatRequest
		err := Decode([]byte(`{"model":"m","messages":`+messages+`}`), &r)
		if err == nil {
			err = r.Validate()
		}
		if err == nil || err.Param != want[0] || err.Message != want[1] {
			t.Errorf("%s: %+v, want %s: %s", messages, err, want[0], want[1])
		}
	}
}

// A bias out of range is named as a type error in it is: logit_bias.1 (it
// was logit_bias[1], under the param logit_bias).
func TestALogitBiasOutOfRangeIsNamedByItsKey(t *testing.T) {
	_, err := CheckFields([]byte(`{"logit_bias":{"1":101}}`), ChatFields)
	if err == nil || err.Param != "logit_bias.1" || err.Message != "logit_bias.1 must be between -100 and 100" {
		t.Fatalf("%+v", err)
	}
}

// An integer's bound was written as a float (2.147483647e+09) in the 400.
func TestAnIntegersBoundIsWrittenWhole(t *testing.T) {
	err := integer(1, 2147483647)("max_uses", []byte("0"))
	if err == nil || !strings.Contains(err.Message, "between 1 and 2147483647,") {
		t.Fatalf("%v", err)
	}
}

// An int64's own bounds are integers the checks take, exactly.
func TestAnInt64sBoundsAreTaken(t *testing.T) {
	for _, body := range []string{`{"seed":9223372036854775807}`, `{"seed":-9223372036854775808}`, `{"max_tokens":9223372036854775807}`} {
		if _, err := CheckFields([]byte(body), ChatFields); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// The legacy Completions' logprobs is an integer (0–5, how many likeliest
// tokens to list), not a boolean as Chat Completions' is: "x" was told it
// must be a boolean, true that it was not supported.
func TestLegacyLogprobsIsAnInteger(t *testing.T) {
	for body, want := range map[string]string{
		`{"logprobs":"x"}`:  "logprobs must be an integer, not a string",
		`{"logprobs":true}`: "logprobs must be an integer, not a boolean",
		`{"logprobs":0.5}`:  "logprobs must be an integer, not 0.5",
		`{"logprobs":6}`:    "logprobs must be between 0 and 5, not 6",
		`{"logprobs":2}`:    "logprobs is not supported: Qwen does not return log probabilities",
	} {
		_, err := CheckFields([]byte(body), CompletionFields)
		if err == nil || err.Message != want {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
	for _, body := range []string{`{"logprobs":0}`, `{"logprobs":null}`, `{"logprobs":0.0}`} {
		if _, err := CheckFields([]byte(body), CompletionFields); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// An image part without its URL is told that it is missing
// (missing_required_parameter), as a file part without file.file_data is
// and the Responses API's input_image without image_url: until 2026-12-06
// it was told the URL "must be a data: URL or an http(s) URL", an
// invalid_type.
func TestAnImagePartWithoutItsURLIsMissingIt(t *testing.T) {
	for _, content := range []string{`[{"type":"image_url","image_url":{}}]`, `[{"type":"image_url"}]`, `[{"type":"image_url","image_url":{"url":""}}]`} {
		body := `{"model":"m","messages":[{"role":"user","content":` + content + `}]}`
		var r ChatRequest
		err := Decode([]byte(body), &r)
		if err == nil {
			err = r.Validate()
		}
		if err == nil || err.Param != "messages[0].content[0].image_url.url" || err.Code != "missing_required_parameter" {
			t.Errorf("%s: %+v, want a 400 missing_required_parameter at messages[0].content[0].image_url.url", content, err)
		}
	}
}
