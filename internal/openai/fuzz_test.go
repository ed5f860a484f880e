package openai

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzChatRequest decodes and validates arbitrary bodies: a request is
// accepted or refused with a 400 naming what is wrong, never a panic.
func FuzzChatRequest(f *testing.F) {
	f.Add([]byte(`{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{"model":"qwen3-max-search","web_search_options":{},"messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR"}}]}]}`))
	f.Add([]byte(`{"messages":[{"role":"tool","tool_call_id":"c","content":[{"type":"text","text":"x"}]}],"stream":true}`))
	f.Add([]byte(`{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`))
	f.Add([]byte(`{"messages":[{"role":"user","content":"x"}],"stop":["a"],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{}}},"functions":[{"name":"f"}],"function_call":{"name":"f"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := CheckFields(body, ChatFields); err != nil {
			if err.Status != 400 || err.Param == "" {
				t.Fatalf("field error %+v", err)
			}
			return
		}
		var req ChatRequest
		if err := Decode(body, &req); err != nil {
			if err.Status != 400 || err.Message == "" {
				t.Fatalf("decode error %+v", err)
			}
			return
		}
		if err := req.Validate(); err != nil {
			if err.Status != 400 || err.Type != TypeInvalidRequest {
				t.Fatalf("validation error %+v", err)
			}
			return
		}
		if err := req.MapLegacyFunctions(); err != nil && err.Status != 400 {
			t.Fatalf("functions error %+v", err)
		}
	})
}

// FuzzDecodeChat holds ChatRequest.DecodeInPlace to json.Unmarshal: whatever it decodes,
// json.Unmarshal decodes alike, into the same request.
func FuzzDecodeChat(f *testing.F) {
	for _, seed := range []string{`{"model":"qwen3-max","messages":[{"role":"user","content":"hi\n\u00e9"}],"stream":true}`,
		`{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":[{"type":"text","text":"x"}]}]}`,
		`{"Model":"x","messages":[]}`, `{"messages":[{"role":"user","content":"a","role":"system"}]}`, `{"messages":null,"stop":["a"],"x":{"y":[1,2]}}`,
		`{"messages":[null]}`, `{"messages":[{"content":"\ud800"}],"stream_options":{"include_usage":true},"stream_options":{}}`,
		`{"messages":[{"content":"a\"b\\"}],"parallel_tool_calls":false,"enable_thinking":null}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast ChatRequest
		if !fast.DecodeInPlace(body) {
			return
		}
		var full ChatRequest
		if err := json.Unmarshal(body, &full); err != nil {
			t.Fatalf("%q: DecodeInPlace read it, json.Unmarshal says %v", body, err)
		}
		if !reflect.DeepEqual(fast, full) {
			t.Fatalf("%q:\nDecodeInPlace  %+v\njson.Unmarshal %+v", body, fast, full)
		}
	})
}
