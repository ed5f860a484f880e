package anthropic

import (
	"encoding/json"
	"reflect"
	"testing"
)

// agentRequest is a Claude Code-shaped request: a system prompt of text
// blocks, tool use and results of code (escaped quotes, lines, a \u
// escape), an image, a document, the tools.
const agentRequest = `{"model":"claude-sonnet-4-5","max_tokens":32000,"stream":true,
 "system":[{"type":"text","text":"You are Claude Code.\nBe brief.","cache_control":{"type":"ephemeral"}}],
 "messages":[
  {"role":"user","content":[{"type":"text","text":"fix \"main.go\" \u00e9"}]},
  {"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"Reading."},
    {"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"/w/main.go"}}]},
  {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n","is_error":false},
    {"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"ok"}],"is_error":true},
    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
    {"type":"document","source":{"type":"text","media_type":"text/plain","data":"notes"},"title":"n","context":"c"}]},
  {"role":"assistant","content":"Done."}],
 "tools":[{"name":"Read","description":"Reads a file.\nUse it.","input_schema":{"type":"object","properties":{"file_path":{"type":"string"}}}},
  {"type":"bash_20250124","name":"bash"}],
 "tool_choice":{"type":"auto"},"thinking":{"type":"enabled","budget_tokens":1024},"metadata":{"user_id":"u"},"temperature":1,
 "output_config":{"effort":"high"},"context_management":{"edits":[]}}`

// An agent's request is read in place whole, as json.Unmarshal reads it:
// the request, and every message's blocks.
func TestDecodeInPlaceReadsAgentsRequests(t *testing.T) {
	var fast, full Request
	if !fast.DecodeInPlace([]byte(agentRequest)) {
		t.Fatal("an agent's request was left to encoding/json")
	}
	var spaced Request
	if !spaced.DecodeInPlace([]byte(" \n"+agentRequest+"\n")) || !reflect.DeepEqual(spaced, fast) {
		t.Fatal("a request between spaces was left to encoding/json")
	}
	if err := json.Unmarshal([]byte(agentRequest), &full); err != nil || !reflect.DeepEqual(fast, full) {
		t.Fatalf("in place %+v\njson.Unmarshal %+v (%v)", fast, full, err)
	}
	lists := []json.RawMessage{fast.System}
	for _, m := range fast.Messages {
		lists = append(lists, m.Content)
	}
	for _, b := range mustBlocks(t, fast.Messages[2].Content) {
		lists = append(lists, b.Content)
	}
	for _, raw := range lists {
		if len(raw) == 0 || raw[0] != '[' {
			continue
		}
		blocks := mustBlocks(t, raw)
		var want []Block
		if err := json.Unmarshal(raw, &want); err != nil || !reflect.DeepEqual(blocks, want) {
			t.Fatalf("%s: in place %+v\njson.Unmarshal %+v (%v)", raw, blocks, want, err)
		}
	}
}

func mustBlocks(t *testing.T, raw json.RawMessage) []Block {
	t.Helper()
	blocks, ok := decodeBlocksInPlace(raw)
	if !ok {
		t.Fatalf("blocks left to encoding/json: %s", raw)
	}
	return blocks
}

// FuzzDecodeInPlace holds the in-place decoders to json.Unmarshal: whatever
// they read, json.Unmarshal reads alike, as a request and as a list of
// blocks.
func FuzzDecodeInPlace(f *testing.F) {
	for _, seed := range []string{agentRequest, `{"Model":"x","messages":[]}`, `{"messages":[{"role":"user","content":"a","role":"assistant"}]}`,
		`{"messages":null,"tools":[],"x":{"y":[1,2]}}`, `{"messages":[null]}`, `{"max_tokens":1.5}`, `{"system":"s\ud800","stream":null}`,
		`[{"type":"text","text":"a\"b\\"},{"type":"image","source":null}]`, `[{"type":"image","source":{"type":"url","url":"https://x/y.png","URL":"z"}}]`,
		`[{"type":"tool_result","content":7,"is_error":null}]`, `[null]`, `[]`, `null`, `[{"text":1}]`,
		`[{"type":"thinking","thinking":"t","signature":null,"data":[1]},{"type":"redacted_thinking","data":"d","Data":5}]`} {
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
		if blocks, ok := decodeBlocksInPlace(body); ok {
			var want []Block
			if err := json.Unmarshal(body, &want); err != nil || !reflect.DeepEqual(blocks, want) {
				t.Fatalf("%q:\nin place       %+v\njson.Unmarshal %+v (%v)", body, blocks, want, err)
			}
		}
	})
}
