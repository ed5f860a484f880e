package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// cityFacts is a structured answer, as a client would declare it.
type cityFacts struct {
	City       string `json:"city"`
	Population int    `json:"population"`
}

var citySchema = shared.ResponseFormatJSONSchemaParam{JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
	Name:   "city_facts",
	Strict: openai.Bool(true),
	Schema: map[string]any{
		"type": "object",
		"properties": map[string]any{
			"city":       map[string]any{"type": "string"},
			"population": map[string]any{"type": "integer", "minimum": 0},
		},
		"required":             []string{"city", "population"},
		"additionalProperties": false,
	},
}}

func TestResponseFormatJSONSchemaWithTheSDK(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage(`Facts about Oslo, please: reply {"city": "Oslo", "population": 709000}`))
	params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &citySchema}
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	// The SDK's structured-output way: the content is the JSON alone.
	var facts cityFacts
	if err := json.Unmarshal([]byte(got.Choices[0].Message.Content), &facts); err != nil || facts != (cityFacts{"Oslo", 709000}) {
		t.Fatalf("content %q: %v %+v", got.Choices[0].Message.Content, err, facts)
	}
	if got.Choices[0].FinishReason != "stop" {
		t.Fatalf("finish %s", got.Choices[0].FinishReason)
	}
	// The schema went upstream as instructions, with the user's turn.
	up := upstreamCompletions(t, e.sim)
	msgs := messagesOf(up[0])
	if last := msgs[len(msgs)-1]["content"].(string); !strings.Contains(last, `"city_facts" object`) || !strings.Contains(last, `"additionalProperties":false`) {
		t.Fatalf("instructions upstream: %q", last)
	}

	// Streamed, the answer is checked whole and then sent.
	params = chatParams(openai.UserMessage(`And Bergen: reply {"city": "Bergen", "population": 291000}`))
	params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &citySchema}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(acc.Choices[0].Message.Content), &facts); err != nil || facts != (cityFacts{"Bergen", 291000}) {
		t.Fatalf("streamed content %q", acc.Choices[0].Message.Content)
	}
}

func TestResponseFormatGetsOneCorrectiveTurnThenAnHonestError(t *testing.T) {
	e := start(t, nil)
	// The first answer lacks the population; the correction fixes it.
	params := chatParams(openai.UserMessage(`Tromsø: reply {"city": "Tromsø"} then {"city": "Tromsø", "population": 77000}`))
	params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &citySchema}
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Choices[0].Message.Content; c != `{"city": "Tromsø", "population": 77000}` {
		t.Fatalf("corrected content %q", c)
	}
	up := upstreamCompletions(t, e.sim)
	if len(up) != 2 || !strings.Contains(messagesOf(up[1])[0]["content"].(string), "population") {
		t.Fatalf("corrective turn: %d upstream calls", len(up))
	}
	// The client is told both turns' usage, as the record sums them (it
	// was told the last turn's only).
	if row := e.lastRow(); got.Usage.PromptTokens != int64(row.PromptTokens) || got.Usage.CompletionTokens != int64(row.CompletionTokens) ||
		got.Usage.TotalTokens != int64(row.TotalTokens) || row.PromptTokens == 0 {
		t.Fatalf("usage %+v, recorded %d/%d/%d", got.Usage, row.PromptTokens, row.CompletionTokens, row.TotalTokens)
	}

	// Never fixed: a 502 that says why, recorded as such.
	params = chatParams(openai.UserMessage(`Narvik: reply {"city": "Narvik", "population": -1}`))
	params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &citySchema}
	_, err = e.client.Chat.Completions.New(ctxT(t), params)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadGateway || apiErr.Code != "response_format_unmet" || !strings.Contains(apiErr.Message, "minimum") ||
		apiErr.Response.Header.Get("X-Should-Retry") != "false" { // asked twice already: the SDKs would ask four times more
		t.Fatalf("unmet format: %v %s", err, apiErr.RawJSON())
	}
	if row := e.lastRow(); row.Status != "error" || row.HTTPStatus != 502 {
		t.Fatalf("recorded %+v", row)
	}

	// JSON mode: any JSON object, taken out of the prose around it.
	params = chatParams(openai.UserMessage(`Status, in JSON? reply {"ok": true}`))
	params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
	got, err = e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil || got.Choices[0].Message.Content != `{"ok": true}` {
		t.Fatalf("json_object: %v %+v", err, got)
	}
	// A plain-text answer to JSON mode is corrected, then refused.
	params = chatParams(openai.UserMessage(`Just chat with me (no JSON).`))
	params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
	_, err = e.client.Chat.Completions.New(ctxT(t), params)
	if !errors.As(err, &apiErr) || apiErr.Code != "response_format_unmet" {
		t.Fatalf("prose for json_object: %v", err)
	}
}

var weatherFunction = openai.ChatCompletionNewParamsFunction{
	Name:        "get_weather",
	Description: openai.String("Current weather in a city"),
	Parameters:  shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
}

func TestLegacyFunctionsAreAnsweredInTheirShape(t *testing.T) {
	e := start(t, nil)
	ask := openai.UserMessage(`Please use get_weather with {"city": "Oslo"} now.`)
	params := chatParams(ask)
	params.Functions = []openai.ChatCompletionNewParamsFunction{weatherFunction}
	params.FunctionCall = openai.ChatCompletionNewParamsFunctionCallUnion{OfFunctionCallMode: openai.String("auto")}
	var resp *http.Response
	got, err := e.client.Chat.Completions.New(ctxT(t), params, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	choice := got.Choices[0]
	if choice.FinishReason != "function_call" || choice.Message.FunctionCall.Name != "get_weather" ||
		choice.Message.FunctionCall.Arguments != `{"city":"Oslo"}` || len(choice.Message.ToolCalls) != 0 {
		t.Fatalf("legacy answer %+v", choice)
	}

	// The result comes back as a "function" message; the session is found.
	params = chatParams(ask, choice.Message.ToParam(), openai.ChatCompletionMessageParamUnion{
		OfFunction: &openai.ChatCompletionFunctionMessageParam{Name: "get_weather", Content: openai.String("Sunny, 21°C")}})
	params.Functions = []openai.ChatCompletionNewParamsFunction{weatherFunction}
	var resp2 *http.Response
	next, err := e.client.Chat.Completions.New(ctxT(t), params, option.WithResponseInto(&resp2))
	if err != nil {
		t.Fatal(err)
	}
	if next.Choices[0].Message.Content != `Thanks: get_weather said "Sunny, 21°C".` || next.Choices[0].FinishReason != "stop" {
		t.Fatalf("continuation %+v", next.Choices[0])
	}
	if resp2.Header.Get("X-Session-Id") != resp.Header.Get("X-Session-Id") || e.sim.Chats() != 1 {
		t.Fatalf("the function result left the session")
	}

	// Named: function_call {"name": …} demands that call; streamed in the
	// legacy delta shape.
	params = chatParams(openai.UserMessage(`What is it like in Rome?`))
	params.Functions = []openai.ChatCompletionNewParamsFunction{weatherFunction}
	params.FunctionCall = openai.ChatCompletionNewParamsFunctionCallUnion{OfFunctionCallOption: &openai.ChatCompletionFunctionCallOptionParam{Name: "get_weather"}}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	var name, args, finish string
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			name += c.Delta.FunctionCall.Name
			args += c.Delta.FunctionCall.Arguments
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
			if len(c.Delta.ToolCalls) > 0 {
				t.Fatalf("tool_calls delta in a functions answer")
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if name != "get_weather" || args != "{}" || finish != "function_call" {
		t.Fatalf("streamed legacy call %q %q %q", name, args, finish)
	}
}

// parallel_tool_calls: false keeps an answer's first call only, whole and
// streamed.
func TestParallelToolCallsFalseKeepsOneCall(t *testing.T) {
	e := start(t, nil)
	ask := `use get_weather with {"city": "Rome"} and use read_file with {"path": "go.mod"}`
	params := toolParams(openai.UserMessage(ask))
	params.ParallelToolCalls = openai.Bool(false)
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if calls := got.Choices[0].Message.ToolCalls; len(calls) != 1 || calls[0].Function.Name != "get_weather" || got.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("calls %+v", got.Choices[0])
	}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), toolParams(openai.UserMessage(ask+" again")))
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil || len(acc.Choices[0].Message.ToolCalls) != 2 {
		t.Fatalf("parallel by default: %v %+v", err, acc.Choices[0].Message.ToolCalls)
	}
	params = toolParams(openai.UserMessage(ask + " once more"))
	params.ParallelToolCalls = openai.Bool(false)
	stream = e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	acc = openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil || len(acc.Choices[0].Message.ToolCalls) != 1 || acc.Choices[0].Message.ToolCalls[0].Function.Name != "get_weather" {
		t.Fatalf("streamed, one call: %v %+v", err, acc.Choices[0].Message.ToolCalls)
	}
}

// The Responses API's text.format is its response_format: the answer is
// checked against the schema (and corrected once) as a chat's is, and a bad
// format is a 400 naming it. It was dropped unread: the answer came back
// as prose while the response echoed the format as if applied.
func TestResponsesTextFormatJSONSchemaWithTheSDK(t *testing.T) {
	e := start(t, nil)
	format := responses.ResponseTextConfigParam{Format: responses.ResponseFormatTextConfigUnionParam{
		OfJSONSchema: &responses.ResponseFormatTextJSONSchemaConfigParam{Name: citySchema.JSONSchema.Name,
			Schema: citySchema.JSONSchema.Schema.(map[string]any), Strict: openai.Bool(true)}}}
	params := responses.ResponseNewParams{Model: "qwen3-max", Text: format,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(`Tromsø: reply {"city": "Tromsø"} then {"city": "Tromsø", "population": 77000}`)}}
	got, err := e.client.Responses.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if text := got.OutputText(); text != `{"city": "Tromsø", "population": 77000}` {
		t.Fatalf("output text %q: want the corrected JSON alone", text)
	}
	if up := upstreamCompletions(t, e.sim); len(up) != 2 || !strings.Contains(messagesOf(up[0])[0]["content"].(string), `"city_facts" object`) {
		t.Fatalf("%d upstream calls; want the schema sent as instructions, then one corrective turn", len(up))
	}

	params.Input = responses.ResponseNewParamsInputUnion{OfString: openai.String(`And Bergen: reply {"city": "Bergen", "population": 291000}`)}
	// Streamed: the answer is checked whole, then sent, as one delta (a
	// client that adds deltas up must see it; none was sent).
	stream := e.client.Responses.NewStreaming(ctxT(t), params)
	var deltas, done string
	for stream.Next() {
		switch ev := stream.Current(); ev.Type {
		case "response.output_text.delta":
			deltas += ev.Delta
		case "response.completed":
			done = ev.Response.OutputText()
		}
	}
	const bergen = `{"city": "Bergen", "population": 291000}`
	if err := stream.Err(); err != nil || done != bergen || deltas != bergen {
		t.Fatalf("streamed: %v, deltas %q, output text %q", err, deltas, done)
	}

	// The echo names the format a request gets when it names none.
	for text, want := range map[string]string{
		`{"verbosity":"low"}`:               `{"format":{"type":"text"},"verbosity":"low"}`,
		`null`:                              `{"format":{"type":"text"}}`,
		`{"format":{"type":"json_object"}}`: `{"format":{"type":"json_object"}}`,
	} {
		resp := send(t, e, "POST", "/v1/responses", "application/json", `{"model":"qwen3-max","input":"in JSON: reply {\"ok\": true}","text":`+text+`}`, nil)
		var body struct{ Text json.RawMessage }
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &body) != nil || string(body.Text) != want {
			t.Errorf("text %s: %d, echoed %s; want %s", text, resp.StatusCode, body.Text, want)
		}
	}

	for _, c := range []struct{ format, param string }{
		{`{"type":"json_schema","name":"x","schema":{"type":5}}`, "text.format.schema"},
		{`{"type":"json_schema","name":"no spaces","schema":{}}`, "text.format.name"},
		{`{"type":"json_schema","name":"x","schema":[1]}`, "text.format.schema"},
		{`{"type":"json_schema","name":"x"}`, "text.format.schema"},
		{`{"type":"json_schema","name":"x","schema":{},"strict":"yes"}`, "text.format.strict"},
		{`{"type":"yaml"}`, "text.format.type"},
		{`"json"`, "text.format"},
	} {
		resp := send(t, e, "POST", "/v1/responses", "application/json", `{"model":"qwen3-max","input":"hi","text":{"format":`+c.format+`}}`, nil)
		var body struct{ Error struct{ Param string } }
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(b, &body) != nil || body.Error.Param != c.param {
			t.Errorf("text.format %s: %d %s; want 400 naming %s", c.format, resp.StatusCode, b, c.param)
		}
	}
}

// TestOneCallAtATimeInEveryAPI: parallel tool calls turned off keep an
// answer's first call only in the Responses API (parallel_tool_calls: false)
// and Anthropic's Messages (tool_choice.disable_parallel_tool_use), as in
// Chat Completions, whole and streamed. Both were read and ignored: the
// two calls of the answer came back.
func TestOneCallAtATimeInEveryAPI(t *testing.T) {
	e := start(t, nil)
	const ask = `use get_weather with {\"city\": \"Rome\"} and use read_file with {\"path\": \"go.mod\"}`
	const fn = `{"type":"object","properties":{"city":{"type":"string"},"path":{"type":"string"}}}`
	for _, tc := range []struct{ path, body, call string }{
		{"/v1/responses", `{"model":"qwen3-max","parallel_tool_calls":false,"input":"` + ask + `",` +
			`"tools":[{"type":"function","name":"get_weather","parameters":` + fn + `},{"type":"function","name":"read_file","parameters":` + fn + `}]`, `"type":"function_call"`},
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"tool_choice":{"type":"auto","disable_parallel_tool_use":true},"messages":[{"role":"user","content":"` + ask + `"}],` +
			`"tools":[{"name":"get_weather","input_schema":` + fn + `},{"name":"read_file","input_schema":` + fn + `}]`, `"type":"tool_use"`},
	} {
		for _, stream := range []string{"false", "true"} {
			resp := postJSON(t, e, tc.path, tc.body+`,"stream":`+stream+`}`, nil)
			b, _ := io.ReadAll(resp.Body)
			text := string(b)
			if stream == "true" { // each call's item or block is announced once, when it starts
				text = strings.Join(regexp.MustCompile(`"type":"(response\.output_item\.added|content_block_start)"[^\n]*`).FindAllString(text, -1), "\n")
			} else if echo := strings.Index(text, `"parallel_tool_calls"`); echo > 0 {
				text = text[:echo] // the response's output, before its echo of the tools
			}
			if resp.StatusCode != 200 || strings.Count(text, tc.call) != 1 || !strings.Contains(text, "get_weather") || strings.Contains(text, "read_file") {
				t.Errorf("%s, stream %s: want get_weather's call alone: %d %s", tc.path, stream, resp.StatusCode, text)
			}
		}
	}
}

// TestNamedToolChoiceKeepsThatTool: a tool_choice naming a function forces
// that one, as OpenAI's and Anthropic's do: the answer's calls of other
// tools are dropped (they came back beside it), and with one call allowed
// the named call is the one kept (the first call, another tool's, was kept,
// failed the check, and the corrective turn lost the named call's
// arguments).
func TestNamedToolChoiceKeepsThatTool(t *testing.T) {
	e := start(t, nil)
	const ask = `use get_weather with {\"city\": \"Rome\"} and use read_file with {\"path\": \"go.mod\"}`
	const fn = `{"type":"object","properties":{"city":{"type":"string"},"path":{"type":"string"}}}`
	for _, tc := range []struct{ path, body, call string }{
		{"/v1/chat/completions", `{"model":"qwen3-max","tool_choice":{"type":"function","function":{"name":"read_file"}},"messages":[{"role":"user","content":"` + ask + `"}],` +
			`"tools":[{"type":"function","function":{"name":"get_weather","parameters":` + fn + `}},{"type":"function","function":{"name":"read_file","parameters":` + fn + `}}]`, `"type":"function"`},
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"tool_choice":{"type":"tool","name":"read_file","disable_parallel_tool_use":true},"messages":[{"role":"user","content":"` + ask + `"}],` +
			`"tools":[{"name":"get_weather","input_schema":` + fn + `},{"name":"read_file","input_schema":` + fn + `}]`, `"type":"tool_use"`},
	} {
		for _, stream := range []string{"false", "true"} {
			before := len(upstreamCompletions(t, e.sim))
			resp := postJSON(t, e, tc.path, tc.body+`,"stream":`+stream+`}`, nil)
			b, _ := io.ReadAll(resp.Body)
			text := string(b)
			if resp.StatusCode != 200 || strings.Contains(text, "get_weather") || !strings.Contains(text, "read_file") || !strings.Contains(text, "go.mod") {
				t.Errorf("%s, stream %s: want read_file's call alone, with its arguments: %d %s", tc.path, stream, resp.StatusCode, text)
			}
			if n := len(upstreamCompletions(t, e.sim)) - before; n != 1 {
				t.Errorf("%s, stream %s: %d completions upstream (want 1: the answer met the choice)", tc.path, stream, n)
			}
		}
	}
}
