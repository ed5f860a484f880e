package responses

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"qwenproxy/internal/openai"
)

// codexRequest is a Codex-shaped request: instructions, a namespace of
// tools, messages of parts, reasoning, calls and their outputs of code
// (escaped quotes, lines, a \u escape), an image.
const codexRequest = `{"model":"gpt-5-codex","instructions":"You are Codex.\nBe brief.","stream":true,"store":false,
 "input":[
  {"type":"message","role":"developer","content":[{"type":"input_text","text":"<permissions>\n</permissions>"}]},
  {"type":"message","role":"user","content":[{"type":"input_text","text":"fix \"main.go\" \u00e9"},
    {"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"},{"type":"input_file","file_url":"https://x/a.pdf","filename":"a.pdf"}]},
  {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"t"}],"encrypted_content":null},
  {"type":"function_call","id":"fc_1","call_id":"call_1","name":"shell","arguments":"{\"command\":[\"cat\",\"main.go\"]}"},
  {"type":"function_call_output","call_id":"call_1","output":"package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n"},
  {"type":"custom_tool_call","call_id":"call_2","name":"apply_patch","input":"*** Begin Patch\n"},
  {"type":"custom_tool_call_output","call_id":"call_2","output":[{"type":"input_text","text":"Done"}]},
  {"role":"assistant","content":[{"type":"output_text","text":"Done.","annotations":[]},{"type":"refusal","refusal":"no"}]},
  {"type":"item_reference","id":"msg_1"}],
 "tools":[{"type":"function","name":"shell","description":"Runs a command.\nUse it.","strict":false,
   "parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}}}}},
  {"type":"custom","name":"apply_patch","format":{"type":"grammar","syntax":"lark","definition":"start: x"}},
  {"type":"namespace","name":"mcp","tools":[{"type":"function","name":"f","parameters":{}}]}],
 "tool_choice":"auto","parallel_tool_calls":false,"reasoning":{"effort":"medium","summary":"auto"},"include":["reasoning.encrypted_content"],
 "text":{"verbosity":"low"},"metadata":{"k":"v"},"prompt_cache_key":"p","max_output_tokens":100,"temperature":1,"top_p":1,"truncation":"auto"}`

// A Codex request is read in place whole, as json.Unmarshal reads it: the
// request, its items and their parts.
func TestDecodeInPlaceReadsAgentsRequests(t *testing.T) {
	var fast, full Request
	if !fast.DecodeInPlace([]byte(codexRequest)) {
		t.Fatal("a Codex request was left to encoding/json")
	}
	if err := json.Unmarshal([]byte(codexRequest), &full); err != nil || !reflect.DeepEqual(fast, full) {
		t.Fatalf("in place %+v\njson.Unmarshal %+v (%v)", fast, full, err)
	}
	items, ok := decodeItemsInPlace(fast.Input)
	var want []Item
	if err := json.Unmarshal(fast.Input, &want); !ok || err != nil || !reflect.DeepEqual(items, want) {
		t.Fatalf("items in place (%v) %+v\njson.Unmarshal %+v (%v)", ok, items, want, err)
	}
	for _, it := range items {
		for _, raw := range []json.RawMessage{it.Content, it.Output} {
			if len(raw) == 0 || raw[0] != '[' {
				continue
			}
			parts, ok := decodePartsInPlace(raw)
			var want []part
			if err := json.Unmarshal(raw, &want); !ok || err != nil || !reflect.DeepEqual(parts, want) {
				t.Fatalf("%s: parts in place (%v) %+v\njson.Unmarshal %+v (%v)", raw, ok, parts, want, err)
			}
		}
	}
}

// FuzzDecodeInPlace holds the in-place decoders to json.Unmarshal: whatever
// they read, json.Unmarshal reads alike, as a request, as items and as
// parts.
func FuzzDecodeInPlace(f *testing.F) {
	for _, seed := range []string{codexRequest, `{"Model":"x","input":"hi"}`, `{"input":[{"type":"message","type":"x"}]}`,
		`{"instructions":null,"tools":[],"x":{"y":[1,2]}}`, `{"input":[null]}`, `{"max_output_tokens":1.5}`, `{"instructions":"s\ud800","stream":null}`,
		`[{"type":"input_text","text":"a\"b\\"},{"type":"input_text","text":null}]`, `[{"type":"function_call_output","output":7}]`,
		`[{"tools":[{"tools":null}]}]`, `[null]`, `[]`, `null`, `[{"text":1}]`, `[{"refusal":"r","REFUSAL":"s"}]`,
		`[{"type":"input_image","detail":"low","Detail":"auto"}]`, `[{"type":"input_image","detail":5}]`, `[{"detail":null}]`,
		`[{"type":"reasoning","summary":[{"type":"summary_text","text":"t"}]},{"type":"reasoning","summary":null,"Summary":5}]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast Request
		if fast.DecodeInPlace(body) {
			var full Request
			if err := json.Unmarshal(body, &full); err != nil {
				t.Fatalf("%q: read in place, json.Unmarshal says %v", body, err)
			}
			if !reflect.DeepEqual(fast, full) {
				t.Fatalf("%q:\nin place       %+v\njson.Unmarshal %+v", body, fast, full)
			}
		}
		if len(body) == 0 || body[0] != '[' {
			return
		}
		if items, ok := decodeItemsInPlace(body); ok {
			var want []Item
			if err := json.Unmarshal(body, &want); err != nil || !reflect.DeepEqual(items, want) {
				t.Fatalf("%q:\nitems in place %+v\njson.Unmarshal %+v (%v)", body, items, want, err)
			}
		}
		if parts, ok := decodePartsInPlace(body); ok {
			var want []part
			if err := json.Unmarshal(body, &want); err != nil || !reflect.DeepEqual(parts, want) {
				t.Fatalf("%q:\nparts in place %+v\njson.Unmarshal %+v (%v)", body, parts, want, err)
			}
		}
	})
}

// BenchmarkRequest is what a Codex-shaped request (20 KB of instructions
// in lines, 12 tools, 40 turns of a message, a shell call and its output
// of code: about 120 KB) costs before it goes upstream: decoded, validated
// and turned into the core's conversation.
//
//	go test -run '^$' -bench Request -benchmem ./internal/responses
func BenchmarkRequest(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"model":"gpt-5-codex","stream":true,"store":false,"instructions":"`)
	sb.WriteString(strings.Repeat(`You are Codex, a coding agent.\n`, 650))
	sb.WriteString(`","input":[`)
	for i := range 40 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"type":"message","role":"user","content":[{"type":"input_text","text":"%s"}]},`, strings.Repeat(`Please fix it.\n`, 20))
		fmt.Fprintf(&sb, `{"type":"function_call","call_id":"call_%d","name":"shell","arguments":"{\"command\":[\"cat\",\"f%d.go\"]}"},`, i, i)
		fmt.Fprintf(&sb, `{"type":"function_call_output","call_id":"call_%d","output":"%s"}`, i, strings.Repeat(`\tif err != nil {\n\t\treturn fmt.Errorf(\"read %q: %w\", name, err)\n\t}\n`, 25))
	}
	sb.WriteString(`],"tools":[`)
	for i := range 12 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"type":"function","name":"tool%d","description":"%s","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}`,
			i, strings.Repeat(`Does things.\n`, 40))
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var r Request
		if err := openai.Decode(body, &r); err != nil {
			b.Fatal(err)
		}
		if err := r.Validate(); err != nil {
			b.Fatal(err)
		}
		if len(r.Conversation()) == 0 {
			b.Fatal("conversation")
		}
	}
}
