package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"qwenproxy/internal/anthropic"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/postgres"
)

var weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("Current weather in a city"),
	Parameters: shared.FunctionParameters{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []string{"city"},
	},
})

var readTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:       "read_file",
	Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"path": map[string]any{"type": "string"}}},
})

func toolParams(msgs ...openai.ChatCompletionMessageParamUnion) openai.ChatCompletionNewParams {
	p := chatParams(msgs...)
	p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool, readTool}
	return p
}

func TestToolRoundTrip(t *testing.T) {
	e := start(t, nil)
	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You help with weather."),
		openai.UserMessage(`Please use get_weather with {"city": "Oslo"} now.`)}
	var resp *http.Response
	got, err := e.client.Chat.Completions.New(ctxT(t), toolParams(msgs...), option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	choice := got.Choices[0]
	if choice.FinishReason != "tool_calls" || len(choice.Message.ToolCalls) != 1 || choice.Message.Content != "Let me do that." {
		t.Fatalf("answer %+v", choice)
	}
	call := choice.Message.ToolCalls[0]
	if call.Function.Name != "get_weather" || call.Function.Arguments != `{"city":"Oslo"}` || !strings.HasPrefix(call.ID, "call_") {
		t.Fatalf("call %+v", call)
	}
	// The tools were described upstream on the first turn only.
	up := upstreamCompletions(t, e.sim)
	if sys := messagesOf(up[0])[0]["content"].(string); !strings.HasPrefix(sys, "[System instructions]\nYou help with weather.") || !strings.Contains(sys, "### get_weather") {
		t.Fatalf("system prompt %q", sys)
	}
	row := e.lastRow()
	if row.FinishReason != "tool_calls" || !strings.Contains(row.OpenAIResponse.String, `"tool_calls"`) {
		t.Fatalf("recorded %+v", row)
	}

	msgs = append(msgs, choice.Message.ToParam(), openai.ToolMessage("Sunny, 21°C", call.ID))
	var resp2 *http.Response
	next, err := e.client.Chat.Completions.New(ctxT(t), toolParams(msgs...), option.WithResponseInto(&resp2))
	if err != nil {
		t.Fatal(err)
	}
	if next.Choices[0].Message.Content != `Thanks: get_weather said "Sunny, 21°C".` || next.Choices[0].FinishReason != "stop" {
		t.Fatalf("continuation %+v", next.Choices[0])
	}
	// The resent assistant message with tool_calls found the session again.
	if resp2.Header.Get("X-Session-Id") != resp.Header.Get("X-Session-Id") || e.sim.Chats() != 1 {
		t.Fatalf("continuation left the session: %s vs %s, %d chats", resp2.Header.Get("X-Session-Id"), resp.Header.Get("X-Session-Id"), e.sim.Chats())
	}
	up = upstreamCompletions(t, e.sim)
	if m := messagesOf(up[1]); len(m) != 1 || !strings.HasPrefix(m[0]["content"].(string), "Result of get_weather ("+call.ID+"):\nSunny") {
		t.Fatalf("tool result upstream: %v", m)
	}
}

func TestToolCallsStreamWithTheAccumulator(t *testing.T) {
	e := start(t, nil)
	params := toolParams(openai.UserMessage(`use get_weather with {"city": "Rome"} and use read_file with {"path": "go.mod"}`))
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	acc := openai.ChatCompletionAccumulator{}
	var finished []openai.FinishedChatCompletionToolCall
	for stream.Next() {
		acc.AddChunk(stream.Current())
		if tc, ok := acc.JustFinishedToolCall(); ok {
			finished = append(finished, tc)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	msg := acc.Choices[0].Message
	// Streamed text cannot be taken back: the whitespace around the calls stays.
	if acc.Choices[0].FinishReason != "tool_calls" || strings.TrimSpace(msg.Content) != "Let me do that." || len(msg.ToolCalls) != 2 {
		t.Fatalf("accumulated %q %+v %s", msg.Content, msg.ToolCalls, acc.Choices[0].FinishReason)
	}
	// Arguments stream as the model writes them (repaired where it slips).
	if msg.ToolCalls[0].Function.Arguments != `{"city": "Rome"}` || msg.ToolCalls[1].Function.Name != "read_file" || len(finished) == 0 {
		t.Fatalf("calls %+v finished %d", msg.ToolCalls, len(finished))
	}
	if row := e.lastRow(); !row.Stream || row.FinishReason != "tool_calls" || !strings.Contains(row.OpenAIResponse.String, `"name":"read_file"`) ||
		!strings.Contains(row.OpenAIResponse.String, `"arguments":"{\"city\": \"Rome\"}"`) {
		t.Fatalf("recorded stream %+v", row)
	}
	// Continue with both results in one turn (parallel calls).
	next := toolParams(openai.UserMessage(`use get_weather with {"city": "Rome"} and use read_file with {"path": "go.mod"}`), msg.ToParam(),
		openai.ToolMessage("Cloudy", msg.ToolCalls[0].ID), openai.ToolMessage("", msg.ToolCalls[1].ID))
	got, err := e.client.Chat.Completions.New(ctxT(t), next)
	if err != nil {
		t.Fatal(err)
	}
	if got.Choices[0].Message.Content != `Thanks: get_weather said "Cloudy", read_file said "(no output)".` || e.sim.Chats() != 1 {
		t.Fatalf("continuation %q over %d chats", got.Choices[0].Message.Content, e.sim.Chats())
	}
}

func TestPlainTextStreamsImmediatelyWithTools(t *testing.T) {
	e := start(t, nil)
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), toolParams(openai.UserMessage("just chat about <b>html</b> please")))
	var pieces []string
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			if c.Delta.Content != "" {
				pieces = append(pieces, c.Delta.Content)
			}
			if c.FinishReason != "" && c.FinishReason != "stop" {
				t.Fatalf("finish %s", c.FinishReason)
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	// The simulator echoes the system prompt too, whose example <tool_call>
	// is no call: held, then released as text.
	if !strings.HasPrefix(strings.Join(pieces, ""), `You said: "just chat about <b>html</b> please".`) || len(pieces) < 5 {
		t.Fatalf("pieces %q", pieces)
	}
}

func TestXMLToolFormIsAccepted(t *testing.T) {
	e := start(t, nil)
	got, err := e.client.Chat.Completions.New(ctxT(t), toolParams(openai.UserMessage(`use read_file with {"path": "main.go"} as xml`)))
	if err != nil {
		t.Fatal(err)
	}
	calls := got.Choices[0].Message.ToolCalls
	if len(calls) != 1 || calls[0].Function.Name != "read_file" || calls[0].Function.Arguments != `{"path":"main.go"}` {
		t.Fatalf("calls %+v", got.Choices[0].Message)
	}
}

func TestRequestsWithoutToolsAreNeverRewritten(t *testing.T) {
	e := start(t, nil)
	xml := "<read_file>\n<path>README.md</path>\n</read_file>"
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage(xml)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Choices[0].Message.Content != fmt.Sprintf("You said: %q.", xml) || len(got.Choices[0].Message.ToolCalls) != 0 {
		t.Fatalf("answer %+v", got.Choices[0].Message)
	}
	if sys := messagesOf(upstreamCompletions(t, e.sim)[0]); len(sys) != 1 {
		t.Fatalf("tool instructions sent without tools: %v", sys)
	}
}

func TestToolChoiceIsEnforced(t *testing.T) {
	e := start(t, nil)
	required := toolParams(openai.UserMessage("what is the weather?"))
	required.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
	got, err := e.client.Chat.Completions.New(ctxT(t), required)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Choices[0].Message.ToolCalls) != 1 || got.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("required: %+v", got.Choices[0])
	}
	// The answer and one correction. (The correction may meet the chat
	// still busy with the answer for a moment, and be retried: count the
	// distinct messages sent, not the attempts.)
	sent := map[string]bool{}
	for _, body := range upstreamCompletions(t, e.sim) {
		m := messagesOf(body)
		sent[m[len(m)-1]["content"].(string)] = true
	}
	if len(sent) != 2 {
		t.Fatalf("%d distinct upstream messages, want the answer's and one correction: %v", len(sent), sent)
	}

	named := toolParams(openai.UserMessage("anything at all"))
	named.ToolChoice = openai.ToolChoiceOptionFunctionToolChoice(openai.ChatCompletionNamedToolChoiceFunctionParam{Name: "read_file"})
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), named)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil || len(acc.Choices[0].Message.ToolCalls) != 1 || acc.Choices[0].Message.ToolCalls[0].Function.Name != "read_file" {
		t.Fatalf("named, streamed: %v %+v", err, acc.Choices)
	}

	stubborn := toolParams(openai.UserMessage("stubborn: I will never call anything"))
	stubborn.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
	_, err = e.client.Chat.Completions.New(ctxT(t), stubborn)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || apiErr.Code != "tool_choice_unmet" || !strings.Contains(apiErr.Message, "tool_choice") ||
		apiErr.Response.Header.Get("X-Should-Retry") != "false" {
		t.Fatalf("stubborn model: %v", err)
	}
	if r := e.lastRow(); r.Status != "error" || r.Responses != 1 {
		t.Fatalf("row %+v", r)
	}
}

// TestAllowedToolsChoice: tool_choice allowed_tools (Chat Completions'
// {"type":"allowed_tools","allowed_tools":{…}}, the Responses API's flat
// form) offers the model only the tools it lists, with its mode; it was a
// 400. A listed name that is not among the tools, or a bad mode, is a 400
// naming it.
func TestAllowedToolsChoice(t *testing.T) {
	e := start(t, nil)
	chatTools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},` +
		`{"type":"function","function":{"name":"get_clock","parameters":{"type":"object"}}}]`
	respTools := `"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}},` +
		`{"type":"function","name":"get_clock","parameters":{"type":"object"}}]`
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"qwen3-max",` + chatTools + `,"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":[{"type":"function","function":{"name":"get_weather"}}]}},` +
			`"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}]}`},
		{"/v1/responses", `{"model":"gpt-5",` + respTools + `,"tool_choice":{"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"get_weather"}]},` +
			`"input":"use get_weather with {\"city\": \"Oslo\"}"}`},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"name":"get_weather"`) {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, b)
		}
		if sent := e.lastRow().QwenRequest.String; !strings.Contains(sent, "get_weather") || strings.Contains(sent, "get_clock") {
			t.Fatalf("%s: Qwen was offered more than the allowed tools: %s", c.path, sent)
		}
	}
	for _, c := range []struct{ path, body, param string }{
		{"/v1/chat/completions", `{"model":"qwen3-max",` + chatTools + `,"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"type":"function","function":{"name":"nope"}}]}},` +
			`"messages":[{"role":"user","content":"hi"}]}`, "tool_choice.allowed_tools.tools[0]"},
		{"/v1/responses", `{"model":"gpt-5",` + respTools + `,"tool_choice":{"type":"allowed_tools","mode":"sometimes","tools":[{"type":"function","name":"get_weather"}]},"input":"hi"}`, "tool_choice.mode"},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"param":"`+c.param+`"`) {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, b)
		}
	}
}

func TestBadToolDeclarationsAreRefused(t *testing.T) {
	e := start(t, nil)
	for body, param := range map[string]string{
		`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"bad name"}}]}`:                                                    "tools[0].function.name",
		`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function","function":{"name":"b"}}}`: "tool_choice",
		`{"messages":[{"role":"user","content":"x"}],"tool_choice":"required"}`:                                                                                        "tool_choice",
	} {
		resp := postJSON(t, e, "/v1/chat/completions", body, nil)
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != 400 || env.Error.Param == nil || *env.Error.Param != param {
			t.Errorf("%s: %d %+v", body, resp.StatusCode, env)
		}
	}
}

// TestToolSchemasAreCheckedInEveryAPI: parameters that are not a JSON
// Schema are refused as OpenAI refuses them (400
// invalid_function_parameters, the field named, the problem said), in each
// client API's form, before anything is recorded or asked of Qwen; a valid
// schema, resent, still passes.
func TestToolSchemasAreCheckedInEveryAPI(t *testing.T) {
	e := start(t, nil)
	const bad = `{"type":"object","properties":{"path":{"type":5}}}`
	const pathType = "at '/properties/path/type'"
	for _, tc := range []struct{ path, body, param, problem string }{
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"ok","parameters":{"type":"object"}}},{"type":"function","function":{"name":"read","parameters":` + bad + `}}]}`, "tools[1].function.parameters", pathType},
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"functions":[{"name":"read","parameters":` + bad + `}]}`, "functions[0].parameters", pathType},
		{"/v1/responses", `{"model":"qwen3-max","input":"x","tools":[{"type":"web_search"},{"type":"function","name":"read","parameters":` + bad + `}]}`, "tools[1].parameters", pathType},
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"read","input_schema":` + bad + `}]}`, "tools.0.input_schema", pathType},
		{"/v1/messages/count_tokens", `{"model":"claude-x","messages":[{"role":"user","content":"x"}],"tools":[{"name":"read","input_schema":` + bad + `}]}`, "tools.0.input_schema", pathType},
		// not an object, or not an object's schema
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"read","parameters":[]}}]}`, "tools[0].function.parameters", "a JSON Schema object is required, not an array"},
		{"/v1/responses", `{"model":"qwen3-max","input":"x","tools":[{"type":"function","name":"read","parameters":{"type":"string"}}]}`, "tools[0].parameters", `schema must be a JSON Schema of 'type: "object"'`},
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"read","input_schema":"x"}]}`, "tools.0.input_schema", "a JSON Schema object is required, not a string"},
	} {
		resp := postJSON(t, e, tc.path, tc.body, nil)
		b, _ := io.ReadAll(resp.Body)
		var env struct {
			Type  string `json:"type"` // Anthropic's envelope: "error"
			Error struct {
				Type, Message string
				Param, Code   *string
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &env); err != nil || resp.StatusCode != 400 || env.Error.Type != "invalid_request_error" ||
			!strings.Contains(env.Error.Message, tc.param+": Invalid schema for function 'read': "+tc.problem) {
			t.Errorf("%s: %d %s", tc.path, resp.StatusCode, b)
			continue
		}
		if strings.HasPrefix(tc.path, "/v1/messages") {
			if env.Type != "error" {
				t.Errorf("%s: not Anthropic's envelope: %s", tc.path, b)
			}
		} else if env.Error.Param == nil || *env.Error.Param != tc.param || env.Error.Code == nil || *env.Error.Code != "invalid_function_parameters" {
			t.Errorf("%s: want param %s, code invalid_function_parameters: %s", tc.path, tc.param, b)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM requests`); n != 0 {
		t.Fatalf("%d calls recorded for refused tools", n)
	}
	if calls := e.sim.Calls(); len(calls) != 0 {
		t.Fatalf("Qwen asked %d times for refused tools", len(calls))
	}
	good := `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"read","parameters":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}}]}`
	for range 2 {
		if resp := postJSON(t, e, "/v1/chat/completions", good, nil); resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("valid schema: %d %s", resp.StatusCode, b)
		}
	}
}

// TestQuotedSystemPromptIsNotACall is the agents' loop: a coding agent
// declares a skill tool and lists its skills in a long system prompt as
// <skill><name>…</name><description>…</description></skill>. The
// simulator's plain answer quotes a bounded excerpt of it, and the quoted
// listing stays text.
func TestQuotedSystemPromptIsNotACall(t *testing.T) {
	e := start(t, nil)
	listing := "<available_skills>\n" + strings.Repeat("<skill><name>pdf</name><description>Reads PDF files</description></skill>\n", 900) + "</available_skills>"
	body := `{"model":"qwen3-max","stream":true,"tools":[{"type":"function","function":{"name":"skill","parameters":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}}],
		"messages":[{"role":"system","content":` + jsonString(listing) + `},{"role":"user","content":"hello"}]}`
	resp := postJSON(t, e, "/v1/chat/completions", body, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), "tool_calls") || !strings.Contains(string(b), `"finish_reason":"stop"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	r := e.lastRow()
	if len(listing) < 60_000 || len(r.OpenAIResponse.String) > 4_000 || !strings.Contains(r.OpenAIResponse.String, "more characters") {
		t.Fatalf("a %d-byte prompt gave a %d-byte answer: %s", len(listing), len(r.OpenAIResponse.String), r.OpenAIResponse.String)
	}
}

// TestStreamedToolCallRecordIsWhatWasSent: the recorded body of a streamed
// answer with calls has the text exactly as the client received it, and
// that is the text a non-streamed answer has (the newline before the call
// goes in both).
func TestStreamedToolCallRecordIsWhatWasSent(t *testing.T) {
	e := start(t, nil)
	body := `{"model":"qwen3-max","stream":true,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}]}`
	resp := postJSON(t, e, "/v1/chat/completions", body, nil)
	b, _ := io.ReadAll(resp.Body)
	var sent strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		var chunk struct {
			Choices []struct {
				Delta struct{ Content *string } `json:"delta"`
			} `json:"choices"`
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok && json.Unmarshal([]byte(data), &chunk) == nil && len(chunk.Choices) > 0 && chunk.Choices[0].Delta.Content != nil {
			sent.WriteString(*chunk.Choices[0].Delta.Content)
		}
	}
	var rec struct {
		Choices []struct {
			Message struct {
				Content   string
				ToolCalls []any `json:"tool_calls"`
			}
		}
	}
	r := e.lastRow()
	if err := json.Unmarshal([]byte(r.OpenAIResponse.String), &rec); err != nil || len(rec.Choices[0].Message.ToolCalls) != 1 {
		t.Fatalf("record %s", r.OpenAIResponse.String)
	}
	if sent.String() != "Let me do that." || rec.Choices[0].Message.Content != sent.String() {
		t.Fatalf("sent %q, recorded %q", sent.String(), rec.Choices[0].Message.Content)
	}
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// An agent that resends the model's tool-calling message with content null
// or "" (dropping the text that came with the calls), or as it was answered,
// stays in its session: its next turn threads onto the same Qwen chat.
func TestToolCallTurnThreadsWhateverTheResentContent(t *testing.T) {
	e := start(t, nil)
	tools := `"tools":[{"type":"function","function":{"name":"read","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}]`
	for i, content := range []string{`null`, `""`, `"text"`} {
		user := fmt.Sprintf(`{"role":"user","content":"use read with {\"path\":\"a%d.txt\"}"}`, i)
		first := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[`+user+`],`+tools+`}`, nil)
		var out struct {
			Choices []struct {
				Message struct {
					Content   string            `json:"content"`
					ToolCalls []json.RawMessage `json:"tool_calls"`
				} `json:"message"`
			} `json:"choices"`
		}
		if err := json.NewDecoder(first.Body).Decode(&out); err != nil || len(out.Choices) != 1 || len(out.Choices[0].Message.ToolCalls) != 1 {
			t.Fatalf("content %s: first turn: %v %+v", content, err, out)
		}
		msg := out.Choices[0].Message
		if content == `"text"` {
			if msg.Content == "" {
				t.Fatal("the simulator's tool call came without text: this case tests nothing")
			}
			b, _ := json.Marshal(msg.Content)
			content = string(b)
		}
		var call struct{ ID string }
		json.Unmarshal(msg.ToolCalls[0], &call)
		next := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[`+user+
			`,{"role":"assistant","content":`+content+`,"tool_calls":[`+string(msg.ToolCalls[0])+`]}`+
			`,{"role":"tool","tool_call_id":"`+call.ID+`","content":"hello"}],`+tools+`}`, nil)
		if next.StatusCode != 200 {
			t.Fatalf("content %s: second turn %d", content, next.StatusCode)
		}
		if a, b := first.Header.Get("X-Session-Id"), next.Header.Get("X-Session-Id"); a == "" || a != b {
			t.Errorf("content %s: the tool result's turn opened session %s, not the call's %s", content, b, a)
		}
	}
}

// An agent that resends a tool call's arguments re-encoded — as Python's
// json.dumps writes them (spaces, non-ASCII as \u escapes) in another key
// order than the answer's, or compact with keys sorted (Go's json.Marshal of
// a map) where the stream gave them as Qwen spaced and ordered them — stays
// in its session: its tool result's turn threads
// onto the same Qwen chat instead of replaying the history into a new one.
func TestToolCallTurnThreadsWhateverTheArgumentsEncoding(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprint("stream=", stream), func(t *testing.T) {
			e := start(t, nil)
			user := openai.UserMessage(`use get_weather with {"unit": "c", "city": "Zürich"}`)
			var msg openai.ChatCompletionMessage
			if stream {
				s := e.client.Chat.Completions.NewStreaming(ctxT(t), toolParams(user))
				acc := openai.ChatCompletionAccumulator{}
				for s.Next() {
					acc.AddChunk(s.Current())
				}
				if err := s.Err(); err != nil || len(acc.Choices) != 1 {
					t.Fatal(err)
				}
				msg = acc.Choices[0].Message
			} else {
				got, err := e.client.Chat.Completions.New(ctxT(t), toolParams(user))
				if err != nil {
					t.Fatal(err)
				}
				msg = got.Choices[0].Message
			}
			if len(msg.ToolCalls) != 1 {
				t.Fatalf("first turn: %+v", msg)
			}
			args := &msg.ToolCalls[0].Function.Arguments
			// Python's json.dumps, in the order the model wrote them (a
			// non-streamed answer gives them compact); Go's json.Marshal of
			// a map, sorted (a stream gives them as the model wrote them).
			resent := `{"unit": "c", "city": "Z\u00fcrich"}`
			if stream {
				resent = `{"city":"Zürich","unit":"c"}`
			}
			if *args == resent {
				t.Fatalf("the answer's arguments %s are already as resent: this case tests nothing", *args)
			}
			*args = resent
			next, err := e.client.Chat.Completions.New(ctxT(t), toolParams(user, msg.ToParam(), openai.ToolMessage("Sunny", msg.ToolCalls[0].ID)))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(next.Choices[0].Message.Content, `get_weather said "Sunny"`) || e.sim.Chats() != 1 {
				t.Fatalf("the tool result's turn %q over %d Qwen chats, want 1", next.Choices[0].Message.Content, e.sim.Chats())
			}
		})
	}
}

// TestSessionToolResultNamesItsTool: a client under X-Session-Id may send
// only the new messages; its tool result, without the assistant message
// that made the call, reaches Qwen with the tool's name, read from the
// session's latest answer with calls — whichever client API made it (a
// chat completion and an Anthropic message here), and with nothing else
// new in the request.
func TestSessionToolResultNamesItsTool(t *testing.T) {
	e := start(t, nil)
	cases := []struct{ path, first, result string }{
		{"/v1/chat/completions",
			`{"model":"qwen3-max","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],` +
				`"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}]}`,
			// Only the result: no user message (it was refused as "messages
			// must contain at least one user message").
			`{"model":"qwen3-max","messages":[{"role":"tool","tool_call_id":"%s","content":"sunny"}]}`},
		{"/v1/messages",
			`{"model":"claude-x","max_tokens":64,"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],` +
				`"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}]}`,
			`{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"%s","content":"sunny"}]}]}`},
	}
	for i, c := range cases {
		session := map[string]string{"X-Session-Id": fmt.Sprint("weather-", i)}
		resp := postJSON(t, e, c.path, c.first, session)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: first answer %d %s", c.path, resp.StatusCode, b)
		}
		callID := lastCallID(t, b)
		if callID == "" {
			t.Fatalf("%s: no call in %s", c.path, b)
		}
		// Each API's form of id: Anthropic's toolu_, OpenAI's call_.
		if want := map[bool]string{true: "toolu_", false: "call_"}[c.path == "/v1/messages"]; !strings.HasPrefix(callID, want) {
			t.Fatalf("%s: call id %q, want %s…", c.path, callID, want)
		}
		resp = postJSON(t, e, c.path, fmt.Sprintf(c.result, callID), session)
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: second answer %d %s", c.path, resp.StatusCode, b)
		}
		e.sync()
		// Qwen is told the core's id, whichever form the client was shown.
		if sent := e.lastRow().QwenRequest.String; !strings.Contains(sent, "Result of get_weather ("+anthropic.CallID(callID)+")") {
			t.Fatalf("%s: the result reached Qwen without its tool's name: %s", c.path, sent)
		}
	}
}

// TestSessionToolNamesStayWithTheirKey: a tool result sent under another
// API key's X-Session-Id is not named from that session's record (the
// caller gets a session of its own, and learns nothing of the other's).
func TestSessionToolNamesStayWithTheirKey(t *testing.T) {
	e := start(t, nil)
	e.stop()
	owner, other := addKey(t, e.cfg.DatabasePath), addKey(t, e.cfg.DatabasePath)
	e.boot()
	header := func(key string) map[string]string {
		return map[string]string{"X-Session-Id": "shared-name", "Authorization": "Bearer " + key}
	}
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","tools":[{"type":"function","function":{"name":"get_weather",`+
		`"parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}]}`, header(owner))
	var answer struct {
		Choices []struct {
			Message struct {
				ToolCalls []struct{ ID string } `json:"tool_calls"`
			}
		}
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &answer) != nil || len(answer.Choices) == 0 || len(answer.Choices[0].Message.ToolCalls) == 0 {
		t.Fatalf("owner's call: %d %s", resp.StatusCode, b)
	}
	callID := answer.Choices[0].Message.ToolCalls[0].ID
	resp = postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"what now"},`+
		`{"role":"tool","tool_call_id":"`+callID+`","content":"sunny"}]}`, header(other))
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Fatalf("other key's call: %d %s", resp.StatusCode, b)
	}
	e.sync()
	if sent := e.lastRow().QwenRequest.String; strings.Contains(sent, "get_weather") || !strings.Contains(sent, "Result of tool call "+callID) {
		t.Fatalf("another key's session named the result: %s", sent)
	}
}

// An agent that resends a tool call with the arguments its tool's schema
// gives defaults for filled in — Claude Code resends its Edit call with
// "replace_all": false, the schema's default, which the model left out —
// stays in its session: the tool result's turn threads onto the call's Qwen
// chat instead of replaying the history into a new one. Both client APIs
// that resend their history (Anthropic Messages, Chat Completions).
func TestToolCallTurnThreadsWithTheSchemaDefaultsFilledIn(t *testing.T) {
	const schema = `{"type":"object","properties":{"path":{"type":"string"},"old":{"type":"string"},"all":{"type":"boolean","default":false}},"required":["path","old"]}`
	const user = `"use edit with {\"path\": \"a.txt\", \"old\": \"x\"}"`
	cases := []struct{ path, first, next string }{
		{"/v1/messages",
			`{"model":"claude-x","max_tokens":64,"tools":[{"name":"edit","input_schema":` + schema + `}],"messages":[{"role":"user","content":` + user + `}]}`,
			`{"model":"claude-x","max_tokens":64,"tools":[{"name":"edit","input_schema":` + schema + `}],"messages":[{"role":"user","content":` + user + `},` +
				`{"role":"assistant","content":[{"type":"text","text":"Let me do that."},{"type":"tool_use","id":"%[1]s","name":"edit","input":{"all":false,"path":"a.txt","old":"x"}}]},` +
				`{"role":"user","content":[{"type":"tool_result","tool_use_id":"%[1]s","content":"edited"}]}]}`},
		{"/v1/chat/completions",
			`{"model":"qwen3-max","tools":[{"type":"function","function":{"name":"edit","parameters":` + schema + `}}],"messages":[{"role":"user","content":` + user + `}]}`,
			`{"model":"qwen3-max","tools":[{"type":"function","function":{"name":"edit","parameters":` + schema + `}}],"messages":[{"role":"user","content":` + user + `},` +
				`{"role":"assistant","content":null,"tool_calls":[{"id":"%[1]s","type":"function","function":{"name":"edit","arguments":"{\"path\":\"a.txt\",\"old\":\"x\",\"all\":false}"}}]},` +
				`{"role":"tool","tool_call_id":"%[1]s","content":"edited"}]}`},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			e := start(t, nil)
			resp := postJSON(t, e, c.path, c.first, nil)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("first answer %d %s", resp.StatusCode, b)
			}
			callID := lastCallID(t, b)
			if callID == "" || strings.Contains(string(b), `"all"`) || strings.Contains(string(b), `\"all\"`) {
				t.Fatalf("want a call without the defaulted argument: %s", b)
			}
			next := postJSON(t, e, c.path, fmt.Sprintf(c.next, callID), nil)
			b, _ = io.ReadAll(next.Body)
			if next.StatusCode != http.StatusOK || !strings.Contains(string(b), `edit said \"edited\"`) {
				t.Fatalf("second answer %d %s", next.StatusCode, b)
			}
			if a, b := resp.Header.Get("X-Session-Id"), next.Header.Get("X-Session-Id"); a == "" || a != b || e.sim.Chats() != 1 {
				t.Errorf("the tool result's turn ran in session %s (the call's: %s) over %d Qwen chats, want 1", b, a, e.sim.Chats())
			}
		})
	}
}

// lastCallID is the id of the last tool call in a Chat Completions answer
// or the last tool_use block of an Anthropic message ("" for none).
func lastCallID(t *testing.T, body []byte) string {
	t.Helper()
	var answer struct {
		Choices []struct {
			Message struct {
				ToolCalls []struct{ ID string } `json:"tool_calls"`
			}
		}
		Content []struct{ Type, ID string }
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	id := ""
	for _, ch := range answer.Choices {
		for _, tc := range ch.Message.ToolCalls {
			id = tc.ID
		}
	}
	for _, bl := range answer.Content {
		if bl.Type == "tool_use" {
			id = bl.ID
		}
	}
	return id
}

// toolAPI states a conversation with tool calls in one client API's JSON.
type toolAPI struct {
	path string
	// request is a call of the conversation's messages (each JSON).
	request func(msgs []string) string
	user    func(text string) string
	// answer is the messages an answer is resent as, and the id of its
	// last tool call ("" for none).
	answer func(t *testing.T, body []byte) (msgs []string, callID string)
	result func(callID, text string) string
}

func jsonText(s string) string { b, _ := json.Marshal(s); return string(b) }

// toolAPIs are the three client APIs, each with get_weather declared.
var toolAPIs = []toolAPI{
	{path: "/v1/chat/completions",
		request: func(msgs []string) string {
			return `{"model":"qwen3-max","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],` +
				`"messages":[` + strings.Join(msgs, ",") + `]}`
		},
		user: func(text string) string { return `{"role":"user","content":` + jsonText(text) + `}` },
		answer: func(t *testing.T, body []byte) ([]string, string) {
			var out struct {
				Choices []struct {
					Message struct {
						Content   string            `json:"content"`
						ToolCalls []json.RawMessage `json:"tool_calls"`
					}
				}
			}
			if err := json.Unmarshal(body, &out); err != nil || len(out.Choices) != 1 {
				t.Fatalf("answer %s: %v", body, err)
			}
			msg := out.Choices[0].Message
			if len(msg.ToolCalls) == 0 {
				return []string{`{"role":"assistant","content":` + jsonText(msg.Content) + `}`}, ""
			}
			calls, _ := json.Marshal(msg.ToolCalls)
			return []string{`{"role":"assistant","content":` + jsonText(msg.Content) + `,"tool_calls":` + string(calls) + `}`}, lastCallID(t, body)
		},
		result: func(callID, text string) string {
			return `{"role":"tool","tool_call_id":"` + callID + `","content":` + jsonText(text) + `}`
		},
	},
	{path: "/v1/messages",
		request: func(msgs []string) string {
			return `{"model":"claude-x","max_tokens":256,"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],` +
				`"messages":[` + strings.Join(msgs, ",") + `]}`
		},
		user: func(text string) string { return `{"role":"user","content":` + jsonText(text) + `}` },
		answer: func(t *testing.T, body []byte) ([]string, string) {
			var out struct{ Content []json.RawMessage }
			if err := json.Unmarshal(body, &out); err != nil || len(out.Content) == 0 {
				t.Fatalf("answer %s: %v", body, err)
			}
			content, _ := json.Marshal(out.Content)
			return []string{`{"role":"assistant","content":` + string(content) + `}`}, lastCallID(t, body)
		},
		result: func(callID, text string) string {
			return `{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + callID + `","content":` + jsonText(text) + `}]}`
		},
	},
	{path: "/v1/responses",
		request: func(msgs []string) string {
			return `{"model":"gpt-5","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}],` +
				`"input":[` + strings.Join(msgs, ",") + `]}`
		},
		user: func(text string) string { return `{"role":"user","content":` + jsonText(text) + `}` },
		answer: func(t *testing.T, body []byte) ([]string, string) {
			var out struct {
				Output []struct {
					Type, Name, Arguments string
					CallID                string `json:"call_id"`
					Content               []struct{ Text string }
				}
			}
			if err := json.Unmarshal(body, &out); err != nil || len(out.Output) == 0 {
				t.Fatalf("answer %s: %v", body, err)
			}
			var msgs []string
			callID := ""
			for _, it := range out.Output {
				switch it.Type {
				case "message":
					for _, c := range it.Content {
						msgs = append(msgs, `{"role":"assistant","content":`+jsonText(c.Text)+`}`)
					}
				case "function_call":
					msgs = append(msgs, `{"type":"function_call","call_id":"`+it.CallID+`","name":"`+it.Name+`","arguments":`+jsonText(it.Arguments)+`}`)
					callID = it.CallID
				}
			}
			return msgs, callID
		},
		result: func(callID, text string) string {
			return `{"type":"function_call_output","call_id":"` + callID + `","output":` + jsonText(text) + `}`
		},
	},
}

// Two conversations identical up to an answer that is the same tool call
// (parallel runs of one prompt) expect one conversation key; each tool
// result — B's first or A's first — continues the session whose answer
// made its call, and every later call of each conversation stays in that
// session: recorded there, on its own Qwen chat. In each client API, on
// SQLite, on PostgreSQL, and with two proxies sharing the PostgreSQL
// database (the conversations' calls alternating between them).
func TestIdenticalConversationsKeepTheirSessions(t *testing.T) {
	for _, mode := range []string{"sqlite", "postgres", "shared"} {
		t.Run(mode, func(t *testing.T) {
			for _, api := range toolAPIs {
				t.Run(strings.TrimPrefix(api.path, "/v1/"), func(t *testing.T) {
					for _, order := range [][2]int{{1, 0}, {0, 1}} {
						t.Run(fmt.Sprintf("%c first", "AB"[order[0]]), func(t *testing.T) {
							identicalConversationsKeepTheirSessions(t, mode, api, order)
						})
					}
				})
			}
		})
	}
}

func identicalConversationsKeepTheirSessions(t *testing.T, mode string, api toolAPI, order [2]int) {
	proxies := []*env{startOn(t, strings.Replace(mode, "shared", "postgres", 1), nil)}
	if mode == "shared" {
		first := proxies[0]
		second := startOnWith(t, "postgres", qwensim.Options{}, func(c *config.Config) {
			c.QwenBaseURL, c.DatabaseURL = first.sim.URL, first.cfg.DatabaseURL
		})
		second.sim = first.sim
		proxies = append(proxies, second)
	}
	type conversation struct {
		msgs               []string
		callID             string
		sessions, requests []string // each call's
	}
	convs := []*conversation{{}, {}}
	turn := func(i int, msg string) {
		t.Helper()
		c := convs[i]
		c.msgs = append(c.msgs, msg)
		e := proxies[(i+len(c.requests))%len(proxies)]
		resp := postJSON(t, e, api.path, api.request(c.msgs), nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("conversation %c, call %d: %d %s", "AB"[i], len(c.requests)+1, resp.StatusCode, b)
		}
		answer, callID := api.answer(t, b)
		c.msgs, c.callID = append(c.msgs, answer...), callID
		c.sessions = append(c.sessions, resp.Header.Get("X-Session-Id"))
		c.requests = append(c.requests, resp.Header.Get("X-Request-Id"))
	}
	for i := range convs {
		turn(i, api.user(`Please use get_weather with {"city": "Oslo"} now.`))
		if convs[i].callID == "" {
			t.Fatalf("conversation %c: the answer made no call: %v", "AB"[i], convs[i].msgs)
		}
	}
	if convs[0].callID == convs[1].callID {
		t.Fatalf("both calls have id %s", convs[0].callID)
	}
	for _, i := range order {
		turn(i, api.result(convs[i].callID, fmt.Sprintf("sunny, said %c's tool", "AB"[i])))
	}
	for _, i := range order {
		turn(i, api.user("And tomorrow?"))
	}
	for _, i := range order {
		turn(i, api.user("Thanks."))
	}

	for _, e := range proxies {
		e.sync()
	}
	e := proxies[0]
	for i, c := range convs {
		for j, id := range c.requests {
			var recorded string
			q := `SELECT COALESCE(session_id, '') FROM requests WHERE request_id = ?`
			if e.cfg.DatabaseURL != "" {
				q = postgres.Rebind(q)
			}
			if err := e.db().QueryRow(q, id).Scan(&recorded); err != nil {
				t.Fatal(err)
			}
			if c.sessions[j] != c.sessions[0] || recorded != c.sessions[0] {
				t.Errorf("conversation %c, call %d: in session %s, recorded in %s; its first call's was %s (the other conversation's %s)",
					"AB"[i], j+1, c.sessions[j], recorded, c.sessions[0], convs[1-i].sessions[0])
			}
		}
	}
	if convs[0].sessions[0] == convs[1].sessions[0] || e.sim.Chats() != 2 {
		t.Errorf("sessions %s and %s over %d Qwen chats, want two of each", convs[0].sessions[0], convs[1].sessions[0], e.sim.Chats())
	}
}
