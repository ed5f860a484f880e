package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// unmarshalEchoed is what echoedFields stands for: the fields decoded by
// encoding/json.
func unmarshalEchoed(t testing.TB, body []byte) echoed {
	var e struct {
		Instructions json.RawMessage `json:"instructions"`
		Text         json.RawMessage `json:"text"`
		ToolChoice   json.RawMessage `json:"tool_choice"`
		Tools        json.RawMessage `json:"tools"`

		Background           json.RawMessage `json:"background"`
		MaxToolCalls         json.RawMessage `json:"max_tool_calls"`
		PromptCacheKey       json.RawMessage `json:"prompt_cache_key"`
		PromptCacheRetention json.RawMessage `json:"prompt_cache_retention"`
		SafetyIdentifier     json.RawMessage `json:"safety_identifier"`
		TopLogprobs          json.RawMessage `json:"top_logprobs"`
		User                 json.RawMessage `json:"user"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	return echoed(e)
}

// echoedFields reads what json.Unmarshal into the echoed fields read:
// names matched without case, the last of a name winning, values as sent
// (nulls, spacing and nesting kept), other fields and absent ones left.
func TestEchoedFieldsAreWhatUnmarshalReads(t *testing.T) {
	for _, body := range []string{
		`{}`,
		`{"model":"qwen3-max","input":[{"role":"user","content":"hi \"tools\": []"}]}`,
		`{"instructions":"Be brief.","tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":"auto"}`,
		`{ "reasoning" : {"effort":"high"} , "text" : {"format":{"type":"json_object"}} , "tools" : null }`,
		`{"Instructions":"first","INSTRUCTIONS":"second","Tool_Choice":{"type":"function","name":"f"}}`,
		`{"instructions":"a","instructions":"b","tools":[],"tools":[1]}`,
		`{"input":"x","text":null,"reasoning":null,"instructions":"\u00e9t\u00e9"}`,
		`{"user":"u1","Service_Tier":"flex","background":true,"top_logprobs":0,"prompt_cache_key":"pk","safety_identifier":"s","max_tool_calls":3}`,
		`{"prompt_cache_retention":"24h","Prompt_Cache_Retention":"in_memory"}`,
	} {
		want, got := unmarshalEchoed(t, []byte(body)), echoedFields([]byte(body))
		for _, f := range []struct {
			name      string
			got, want json.RawMessage
		}{
			{"instructions", got.Instructions, want.Instructions},
			{"text", got.Text, want.Text}, {"tool_choice", got.ToolChoice, want.ToolChoice}, {"tools", got.Tools, want.Tools},
			{"background", got.Background, want.Background}, {"max_tool_calls", got.MaxToolCalls, want.MaxToolCalls},
			{"prompt_cache_key", got.PromptCacheKey, want.PromptCacheKey}, {"prompt_cache_retention", got.PromptCacheRetention, want.PromptCacheRetention},
			{"safety_identifier", got.SafetyIdentifier, want.SafetyIdentifier},
			{"top_logprobs", got.TopLogprobs, want.TopLogprobs}, {"user", got.User, want.User},
		} {
			if string(f.got) != string(f.want) {
				t.Errorf("%s: %s is %s, json.Unmarshal reads %s", body, f.name, f.got, f.want)
			}
		}
	}
}

// BenchmarkEchoedFields reads the echoed fields of a coding agent's
// Responses request (a 20 KB prompt, tools, 80 items of history, ~250 KB)
// by one scan of its top level, and, as the baseline of the same run, by
// json.Unmarshal.
//
//	go test -run '^$' -bench EchoedFields ./internal/server
func BenchmarkEchoedFields(b *testing.B) {
	item, _ := json.Marshal(map[string]any{"type": "function_call_output", "call_id": "call_1",
		"output": strings.Repeat("\tfmt.Println(\"value\", key) // see https://go.dev/doc\n", 60)})
	instructions, _ := json.Marshal(strings.Repeat("You are a careful coding agent. ", 640))
	body := []byte(`{"model":"qwen3-max","instructions":` + string(instructions) +
		`,"tools":[{"type":"function","name":"read_file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}],` +
		`"input":[` + strings.Repeat(string(item)+",", 80) + `{"role":"user","content":"go on"}],"store":false}`)
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			echoedFields(body)
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			unmarshalEchoed(b, body)
		}
	})
}
