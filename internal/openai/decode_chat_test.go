package openai

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestDecodeChatReadsWhatClientsSend: the requests clients send take the
// fast way (were they left to json.Unmarshal, BenchmarkRequestChecks would
// still pass, only slower); what it leaves to json.Unmarshal is what it
// cannot read exactly alike.
func TestDecodeChatReadsWhatClientsSend(t *testing.T) {
	for _, body := range []string{
		string(agentRequest("You are a careful coding agent. ")), string(agentRequest(`line\n`)),
		`{"model":"qwen3-max","messages":[{"role":"system","content":"line one\nline \"two\"\t\u00e9"},{"role":"user","content":[{"type":"text","text":"hi"}]},` +
			`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"read","arguments":"{\"path\":\"a\"}"}}]},` +
			`{"role":"tool","tool_call_id":"c1","content":"file"}],"tools":[{"type":"function","function":{"name":"read"}}],"tool_choice":"auto",` +
			`"stream":true,"stream_options":{"include_usage":true},"temperature":0.2,"max_tokens":100,"cache_control":{"type":"ephemeral"}}`,
	} {
		var req ChatRequest
		if !req.DecodeInPlace([]byte(body)) {
			t.Errorf("left to json.Unmarshal: %.120s", body)
		}
	}
	for _, body := range []string{`{"Model":"x"}`, `{"messages":[],"messages":[]}`, `{"messages":[null]}`, `{"messages":[{"role":1}]}`, `{"stream":"yes"}`, `{"tools":[1,]}`} {
		var req ChatRequest
		if req.DecodeInPlace([]byte(body)) {
			t.Errorf("read the fast way: %s", body)
		}
	}
}

// A message's content parts — texts in lines, an image by data: URL, a
// document — are read in place, as json.Unmarshal reads them.
func TestDecodePartsInPlaceReadsMessagesParts(t *testing.T) {
	raw := []byte(`[{"type":"text","text":"<task>\nfix \"main.go\" \u00e9\n</task>"},{"type":"text","text":"plain","cache_control":{"type":"ephemeral"}},
		{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
		{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"}},{"type":"refusal","refusal":"no"}]`)
	parts, ok := decodePartsInPlace(raw)
	var want []contentPart
	if err := json.Unmarshal(raw, &want); !ok || err != nil || !reflect.DeepEqual(parts, want) {
		t.Fatalf("in place (%v) %+v\njson.Unmarshal %+v (%v)", ok, parts, want, err)
	}
}

// FuzzDecodeParts holds decodePartsInPlace to json.Unmarshal: whatever it
// reads, json.Unmarshal reads alike.
func FuzzDecodeParts(f *testing.F) {
	for _, seed := range []string{`[{"type":"text","text":"a\nb"}]`, `[{"type":"image_url","image_url":{"url":"u","URL":"v"}}]`, `[{"image_url":null,"file":{}}]`,
		`[{"file":{"file_id":7}}]`, `[{"text":null,"refusal":"r"}]`, `[null]`, `[]`, `null`, `[{"type":"text","type":"x"}]`, `[{"image_url":"s"}]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		parts, ok := decodePartsInPlace(raw)
		if !ok {
			return
		}
		var want []contentPart
		if err := json.Unmarshal(raw, &want); err != nil || !reflect.DeepEqual(parts, want) {
			t.Fatalf("%q:\nin place       %+v\njson.Unmarshal %+v (%v)", raw, parts, want, err)
		}
	})
}

// A function_call that is neither a string nor an object is a type error,
// with functions or without (it was "function_call requires functions", or
// the list of its forms without the value).
func TestAFunctionCallOfAnotherTypeIsATypeError(t *testing.T) {
	for _, functions := range []string{``, `"functions":[{"name":"f","parameters":{"type":"object"}}],`} {
		var r ChatRequest
		if err := Decode([]byte(`{"model":"m",`+functions+`"function_call":5,"messages":[{"role":"user","content":"hi"}]}`), &r); err != nil {
			t.Fatal(err)
		}
		err := r.MapLegacyFunctions()
		if err == nil || err.Param != "function_call" || err.Code != "invalid_type" || err.Message != `function_call must be "none", "auto" or {"name": …}, not 5` {
			t.Errorf("%s: %+v", functions, err)
		}
	}
}
