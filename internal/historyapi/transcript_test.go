package historyapi

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	qp "qwenproxy"
)

func turnOf(request, response string) TurnJSON {
	r := &qp.RequestRecord{ID: 7, Timestamp: time.UnixMilli(1000), OpenAIRequest: json.RawMessage(request),
		Response: &qp.ResponseRecord{Status: qp.StatusSuccess, HTTPStatus: 200, DurationMillis: 1.5, OpenAIResponse: json.RawMessage(response)}}
	return Turn(r)
}

func roles(ms []MessageJSON) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Role+":"+m.Content)
	}
	return out
}

// Each front-end's bodies read as the same turn: the messages new in the
// call, and the answer with its reasoning and tool calls.
func TestTurnReadsEveryFrontEnd(t *testing.T) {
	cases := []struct {
		name, request, response string
		input                   []string
		answer                  string
		reasoning               string
		tool                    string
	}{
		{"chat, first turn",
			`{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]}]}`,
			`{"choices":[{"message":{"role":"assistant","content":"hello","reasoning_content":"greet back"}}]}`,
			[]string{"system:be brief", "user:hi there"}, "hello", "greet back", ""},
		{"chat, a later turn resends the history",
			`{"messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"rain"}]}`,
			`{"choices":[{"message":{"role":"assistant","content":"It rains."}}]}`,
			[]string{"tool:rain"}, "It rains.", "", ""},
		// A part that is not text shows as its [type], set apart from the
		// text beside it by a space (it ran into the word before it).
		{"chat, an image between texts",
			`{"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"ref"}},{"type":"text","text":"And this?"},{"type":"image_url","image_url":{"url":"ref"}},{"type":"image_url","image_url":{"url":"ref"}},{"type":"text","text":" Thanks"}]}]}`,
			`{"choices":[{"message":{"role":"assistant","content":"cats"}}]}`,
			[]string{"user:What is this? [image_url] And this? [image_url] [image_url] Thanks"}, "cats", "", ""},
		{"Anthropic, an image first",
			`{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"ref"}},{"type":"text","text":"look"}]}]}`,
			`{"type":"message","role":"assistant","content":[{"type":"text","text":"a cat"}]}`,
			[]string{"user:[image] look"}, "a cat", "", ""},
		// A searched answer shows its search as "[web search: <query>]"
		// before its text (the result block's pages are the text's list).
		{"Anthropic, a web search",
			`{"messages":[{"role":"user","content":"news?"}]}`,
			`{"type":"message","role":"assistant","content":[{"type":"server_tool_use","id":"s1","name":"web_search","input":{"query":"oslo news"}},{"type":"web_search_tool_result","tool_use_id":"s1","content":[{"type":"web_search_result","url":"https://a","title":"A"}]},{"type":"text","text":"Busy."}]}`,
			[]string{"user:news?"}, "[web search: oslo news] Busy.", "", ""},
		{"Responses, a web search",
			`{"input":"news?"}`,
			`{"object":"response","output":[{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"oslo news"}},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Busy."}]}]}`,
			[]string{"user:news?"}, "[web search: oslo news] Busy.", "", ""},
		{"legacy completion", `{"prompt":"Say hi"}`, `{"choices":[{"text":"hi","index":0}]}`, []string{"user:Say hi"}, "hi", "", ""},
		{"Anthropic Messages",
			`{"system":"be brief","messages":[{"role":"user","content":"weather in Oslo?"}]}`,
			`{"type":"message","role":"assistant","content":[{"type":"thinking","thinking":"use the tool"},{"type":"text","text":"Checking."},{"type":"tool_use","id":"tu1","name":"get_weather","input":{"city":"Oslo"}}]}`,
			[]string{"system:be brief", "user:weather in Oslo?"}, "Checking.", "use the tool", `get_weather {"city":"Oslo"}`},
		{"Anthropic tool result",
			`{"messages":[{"role":"user","content":"w?"},{"role":"assistant","content":[{"type":"tool_use","id":"tu1","name":"get_weather","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu1","content":"rain"}]}]}`,
			`{"type":"message","role":"assistant","content":[{"type":"text","text":"It rains."}]}`,
			[]string{"tool:rain"}, "It rains.", "", ""},
		// Anthropic puts a user message's tool results before its words
		// (Claude Code's summary request after the last result, a user's
		// words typed while a tool ran): the transcript keeps that order,
		// as the model was told it. The words came first.
		{"Anthropic tool result, then words",
			`{"messages":[{"role":"user","content":"w?"},{"role":"assistant","content":[{"type":"tool_use","id":"tu1","name":"get_weather","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu1","content":"rain"},{"type":"text","text":"now summarize"}]}]}`,
			`{"type":"message","role":"assistant","content":[{"type":"text","text":"It rained."}]}`,
			[]string{"tool:rain", "user:now summarize"}, "It rained.", "", ""},
		{"Responses API",
			`{"input":[{"role":"user","content":"weather?"},{"type":"function_call_output","call_id":"fc1","output":"rain"}]}`,
			`{"output":[{"type":"reasoning","summary":[{"type":"summary_text","text":"think"}]},{"type":"message","content":[{"type":"output_text","text":"It rains."}]},{"type":"function_call","call_id":"fc2","name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}]}`,
			[]string{"user:weather?", "tool:rain"}, "It rains.", "think", `get_weather {"city":"Oslo"}`},
		// A tool result's parts that are not text (an image a tool read)
		// show as their [type], as a message's do; they showed as nothing.
		{"Anthropic tool result with an image",
			`{"messages":[{"role":"user","content":"look"},{"role":"assistant","content":[{"type":"tool_use","id":"tu1","name":"Read","input":{}},{"type":"tool_use","id":"tu2","name":"Read","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu1","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"ref"}}]},{"type":"tool_result","tool_use_id":"tu2","content":[{"type":"text","text":"cat.png:"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"ref"}}]}]}]}`,
			`{"type":"message","role":"assistant","content":[{"type":"text","text":"A cat."}]}`,
			[]string{"tool:[image]", "tool:cat.png: [image]"}, "A cat.", "", ""},
		{"Responses API tool output with an image",
			`{"input":[{"role":"user","content":"look"},{"type":"function_call","call_id":"fc1","name":"view_image","arguments":"{}"},{"type":"function_call_output","call_id":"fc1","output":[{"type":"input_text","text":"cat.png"},{"type":"input_image","image_url":"ref"}]}]}`,
			`{"output":[{"type":"message","content":[{"type":"output_text","text":"A cat."}]}]}`,
			[]string{"tool:cat.png [input_image]"}, "A cat.", "", ""},
		// A custom (freeform) tool's call shows its input, as sent; a
		// resent custom call starts the new input, as a function call does.
		{"chat, a custom tool call",
			`{"messages":[{"role":"user","content":"patch it"}]}`,
			`{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"custom","custom":{"name":"apply_patch","input":"*** Begin Patch"}}]}}]}`,
			[]string{"user:patch it"}, "", "", "apply_patch *** Begin Patch"},
		{"Responses API, a custom tool call and its output",
			`{"input":[{"role":"user","content":"patch it"},{"type":"custom_tool_call","call_id":"c1","name":"apply_patch","input":"*** Begin Patch"},{"type":"custom_tool_call_output","call_id":"c1","output":"Done!"}]}`,
			`{"output":[{"type":"custom_tool_call","call_id":"c2","name":"apply_patch","input":"*** End Patch"}]}`,
			[]string{"tool:Done!"}, "", "", "apply_patch *** End Patch"},
		{"Responses API, a plain string", `{"input":"hello"}`, `{"output":[{"type":"message","content":[{"type":"output_text","text":"hi"}]}]}`,
			[]string{"user:hello"}, "hi", "", ""},
		// As sent upstream: system blocks a blank line apart (they ran
		// together), and a Responses conversation's instructions as its
		// system prompt on its first turn (they were left out), not on a
		// turn threaded by id or resending an answer.
		{"Anthropic system blocks", `{"system":[{"type":"text","text":"Sys A"},{"type":"text","text":"Sys B"}],"messages":[{"role":"user","content":"x"}]}`,
			`{"type":"message","role":"assistant","content":[{"type":"text","text":"y"}]}`, []string{"system:Sys A\n\nSys B", "user:x"}, "y", "", ""},
		{"Responses API instructions", `{"instructions":"Be terse.","input":"hello"}`, `{"output":[{"type":"message","content":[{"type":"output_text","text":"hi"}]}]}`,
			[]string{"system:Be terse.", "user:hello"}, "hi", "", ""},
		{"Responses API instructions, threaded", `{"instructions":"Be terse.","input":"again","previous_response_id":"resp_1"}`, `{"output":[{"type":"message","content":[{"type":"output_text","text":"hi"}]}]}`,
			[]string{"user:again"}, "hi", "", ""},
		// POST /v1/responses/compact's answer is its summary, not the user
		// messages it keeps; a compaction item stands for the answers
		// before it, as an answer does.
		{"Responses API compaction", `{"input":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}`,
			`{"object":"response.compaction","output":[{"id":"msg_1","type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]},{"id":"cmp_1","type":"compaction","encrypted_content":"qwenproxy.compaction.v1:They greeted."}]}`,
			nil, "[compaction] They greeted.", "", ""},
		{"Responses API after a compaction", `{"input":[{"role":"user","content":"hi"},{"type":"compaction","encrypted_content":"qwenproxy.compaction.v1:They greeted."},{"role":"user","content":"go on"}]}`,
			`{"output":[{"type":"message","content":[{"type":"output_text","text":"on"}]}]}`, []string{"user:go on"}, "on", "", ""},
		// An item_reference (an item of an earlier response, or of a
		// conversation, by its id) shows where it stood as a placeholder
		// naming it: the model was told that item; it was left out.
		{"Responses API item_reference", `{"input":[{"type":"item_reference","id":"msg_sdk1"},{"role":"user","content":"ref via sdk"}]}`,
			`{"output":[{"type":"message","content":[{"type":"output_text","text":"ok"}]}]}`,
			[]string{"user:[item_reference msg_sdk1]", "user:ref via sdk"}, "ok", "", ""},
		{"Responses API instructions, history resent", `{"instructions":"Be terse.","input":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}`, `{"output":[{"type":"message","content":[{"type":"output_text","text":"hi"}]}]}`,
			[]string{"user:c"}, "hi", "", ""},
	}
	for _, tc := range cases {
		got := turnOf(tc.request, tc.response)
		if g := roles(got.Input); !slices.Equal(g, tc.input) {
			t.Errorf("%s: input %q, want %q", tc.name, g, tc.input)
		}
		if got.Output == nil {
			t.Errorf("%s: no answer", tc.name)
			continue
		}
		if got.Output.Role != "assistant" || got.Output.Content != tc.answer || got.Output.Reasoning != tc.reasoning {
			t.Errorf("%s: answer %+v", tc.name, *got.Output)
		}
		tool := ""
		if len(got.Output.ToolCalls) > 0 {
			tool = got.Output.ToolCalls[0].Name + " " + got.Output.ToolCalls[0].Arguments
		}
		if tool != tc.tool {
			t.Errorf("%s: tool call %q, want %q", tc.name, tool, tc.tool)
		}
		if !got.Bodies || got.ID != 7 || *got.DurationMS != 1.5 {
			t.Errorf("%s: figures %+v", tc.name, got)
		}
	}
}

// A tool result its client sent as failed (Anthropic's is_error) says so
// in the transcript; it read as a result like any other.
func TestTurnMarksAFailedToolResult(t *testing.T) {
	got := turnOf(`{"messages":[{"role":"user","content":"run it"},{"role":"assistant","content":[{"type":"tool_use","id":"tu1","name":"Bash","input":{}},{"type":"tool_use","id":"tu2","name":"Bash","input":{}}]},`+
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu1","content":"Exit code 1","is_error":true},{"type":"tool_result","tool_use_id":"tu2","content":"ok"}]}]}`,
		`{"type":"message","role":"assistant","content":[{"type":"text","text":"One failed."}]}`)
	if len(got.Input) != 2 || !got.Input[0].IsError || got.Input[1].IsError {
		t.Fatalf("input %+v", got.Input)
	}
	b, _ := json.Marshal(got.Input)
	if want := `[{"role":"tool","content":"Exit code 1","tool_call_id":"tu1","is_error":true},{"role":"tool","content":"ok","tool_call_id":"tu2"}]`; string(b) != want {
		t.Fatalf("input as JSON %s, want %s", b, want)
	}
}

// A failed call has no answer; a call recorded without bodies says so; an
// unreadable body gives an empty turn, never a panic.
func TestTurnWithoutAnAnswer(t *testing.T) {
	if got := turnOf(`{"messages":[{"role":"user","content":"x"}]}`, `{"error":{"message":"boom","type":"upstream_error"}}`); got.Output != nil {
		t.Errorf("an error envelope became an answer: %+v", got.Output)
	}
	r := &qp.RequestRecord{ID: 1}
	if got := Turn(r); got.Bodies || len(got.Input) != 0 || got.Output != nil || got.Status != nil {
		t.Errorf("no bodies, no response: %+v", got)
	}
	if got := turnOf(`{"messages":`, `not json`); len(got.Input) != 0 || got.Output != nil {
		t.Errorf("unreadable bodies: %+v", got)
	}
	// A call its client left before a word of the answer is recorded with
	// an empty message, in each API's shape: it has no answer either (it
	// was {"role":"assistant","content":""}).
	for _, body := range []string{
		`{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":null}]}`,
		`{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":""}]}`,
		`{"id":"r","object":"response","output":[{"type":"message","content":[{"type":"output_text","text":""}]}]}`,
	} {
		if got := turnOf(`{"messages":[{"role":"user","content":"x"}]}`, body); got.Output != nil {
			t.Errorf("%s: an empty answer %+v", body, got.Output)
		}
	}
}

// The escapes of "<", ">" and "&" that Go's encoder writes are put back;
// an escaped backslash before "u003e" is not an escape of ">", and other
// escapes are kept.
func TestHTMLUnescaped(t *testing.T) {
	for raw, want := range map[string]string{
		`{"command":"echo a \u003e b \u0026\u0026 c \u003C d"}`: `{"command":"echo a > b && c < d"}`,
		`{"path":"C:\\u003e"}`:        `{"path":"C:\\u003e"}`,
		`{"q":"\"quoted\" \u00e9\n"}`: `{"q":"\"quoted\" \u00e9\n"}`,
		`{"a":1}`:                     `{"a":1}`,
	} {
		if got := htmlUnescaped([]byte(raw)); got != want {
			t.Errorf("%s: %s, want %s", raw, got, want)
		}
	}
}

// A body stored cut (over RECORD_MAX_BODY_BYTES) holds no messages: its turn
// says so, where it read as a call that sent nothing (input []) or answered
// nothing (output null) although it had done both.
func TestTurnSaysWhichBodiesWereStoredCut(t *testing.T) {
	const cutRequest = `{"_truncated":true,"_original_bytes":2063,"_head":"{\"model\":\"qwen3-max\",\"messages\":[{\"role\":\"user\",\"content\":\"word word"}`
	const cutAnswer = `{"_truncated":true,"_original_bytes":5120,"_head":"{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"content\":\"You said"}`
	const answer = `{"choices":[{"message":{"role":"assistant","content":"Hi."}}]}`
	for _, c := range []struct {
		request, response string
		want              []string
	}{
		{cutRequest, answer, []string{"request"}},
		{`{"messages":[{"role":"user","content":"hello"}]}`, cutAnswer, []string{"response"}},
		{cutRequest, cutAnswer, []string{"request", "response"}},
		{`{"messages":[{"role":"user","content":"hello"}]}`, answer, nil},
		// A client's own field of that name is not the record's marker.
		{`{"_truncated":true,"messages":[{"role":"user","content":"hello"}]}`, answer, nil},
	} {
		got := turnOf(c.request, c.response)
		if !slices.Equal(got.Truncated, c.want) {
			t.Errorf("%s / %s: truncated %q, want %q", c.request, c.response, got.Truncated, c.want)
		}
		b, _ := json.Marshal(got)
		if has := bytes.Contains(b, []byte(`"truncated":`)); has != (c.want != nil) {
			t.Errorf("%s: the turn's JSON %s", c.request, b)
		}
	}
}
