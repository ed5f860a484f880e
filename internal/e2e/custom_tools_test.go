package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// A custom (freeform) tool's call carries free text, not JSON arguments:
// Codex's apply_patch is declared so, with a Lark grammar.
const testPatch = "*** Begin Patch\n*** Add File: hello.txt\n+Hello, world\n*** End Patch"

const patchGrammar = "start: begin_patch hunk+ end_patch"

// usePatch asks the simulator for a call of apply_patch with testPatch as
// its input.
func usePatch() string {
	input, _ := json.Marshal(map[string]string{"input": testPatch})
	return "Please use apply_patch with " + string(input) + " now."
}

var chatPatchTool = openai.ChatCompletionCustomTool(openai.ChatCompletionCustomToolCustomParam{
	Name:        "apply_patch",
	Description: openai.String("Edit files with a patch."),
	Format: openai.ChatCompletionCustomToolCustomFormatUnionParam{OfGrammar: &openai.ChatCompletionCustomToolCustomFormatGrammarParam{
		Grammar: openai.ChatCompletionCustomToolCustomFormatGrammarGrammarParam{Syntax: "lark", Definition: patchGrammar}}},
})

func TestChatCompletionsCustomToolRoundTrip(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage(usePatch()))
	params.Tools = []openai.ChatCompletionToolUnionParam{chatPatchTool, weatherTool}
	var resp *http.Response
	got, err := e.client.Chat.Completions.New(ctxT(t), params, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	choice := got.Choices[0]
	if choice.FinishReason != "tool_calls" || len(choice.Message.ToolCalls) != 1 {
		t.Fatalf("answer %+v", choice)
	}
	call := choice.Message.ToolCalls[0]
	if call.Type != "custom" || call.Custom.Name != "apply_patch" || call.Custom.Input != testPatch || !strings.HasPrefix(call.ID, "call_") {
		t.Fatalf("call %s", call.RawJSON())
	}
	// Offered to Qwen as a function of one string, its grammar as guidance.
	up := upstreamCompletions(t, e.sim)
	if sys := messagesOf(up[0])[0]["content"].(string); !strings.Contains(sys, "### apply_patch") || !strings.Contains(sys, "lark grammar") || !strings.Contains(sys, patchGrammar) {
		t.Fatalf("tools told upstream: %q", sys)
	}
	if row := e.lastRow(); row.FinishReason != "tool_calls" || !strings.Contains(row.OpenAIResponse.String, `"type":"custom","custom":{"name":"apply_patch","input":`) {
		t.Fatalf("recorded %s", row.OpenAIResponse.String)
	}

	// The client sends the call back with its result: the same Qwen chat
	// goes on, told the result.
	params.Messages = append(params.Messages, choice.Message.ToParam(), openai.ToolMessage("Done!", call.ID))
	var resp2 *http.Response
	next, err := e.client.Chat.Completions.New(ctxT(t), params, option.WithResponseInto(&resp2))
	if err != nil {
		t.Fatal(err)
	}
	if next.Choices[0].Message.Content != `Thanks: apply_patch said "Done!".` {
		t.Fatalf("continuation %+v", next.Choices[0])
	}
	if resp2.Header.Get("X-Session-Id") != resp.Header.Get("X-Session-Id") || e.sim.Chats() != 1 {
		t.Fatalf("the resent custom call left the session: %d chats", e.sim.Chats())
	}
	if row := e.lastRow(); !strings.Contains(row.OpenAIRequest.String, `"type":"custom"`) {
		t.Fatalf("the request is not recorded as sent: %s", row.OpenAIRequest.String)
	}

	// Streamed, the call arrives whole in one delta of its own form.
	params.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage(usePatch())}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	var custom []map[string]any
	finish := ""
	for stream.Next() {
		var chunk struct {
			Choices []struct {
				Delta struct {
					ToolCalls []map[string]any `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(stream.Current().RawJSON()), &chunk); err != nil {
			t.Fatal(err)
		}
		for _, c := range chunk.Choices {
			custom = append(custom, c.Delta.ToolCalls...)
			if c.FinishReason != nil {
				finish = *c.FinishReason
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(custom) != 1 || custom[0]["type"] != "custom" || finish != "tool_calls" {
		t.Fatalf("streamed calls %v, finish %q", custom, finish)
	}
	if c, _ := custom[0]["custom"].(map[string]any); c["name"] != "apply_patch" || c["input"] != testPatch {
		t.Fatalf("streamed call %v", custom[0])
	}
}

func TestChatCompletionsCustomToolChoice(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage("Fix the greeting."))
	params.Tools = []openai.ChatCompletionToolUnionParam{chatPatchTool, weatherTool}
	params.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfCustomToolChoice: &openai.ChatCompletionNamedToolChoiceCustomParam{
		Custom: openai.ChatCompletionNamedToolChoiceCustomCustomParam{Name: "apply_patch"}}}
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if calls := got.Choices[0].Message.ToolCalls; len(calls) != 1 || calls[0].Type != "custom" || calls[0].Custom.Name != "apply_patch" {
		t.Fatalf("a forced custom tool was not called: %s", got.RawJSON())
	}
}

func TestChatCompletionsRefusesBadCustomTools(t *testing.T) {
	e := start(t, nil)
	cases := []struct{ tools, choice, messages, param string }{
		{`[{"type":"custom"}]`, ``, ``, "tools[0].custom"},
		{`[{"type":"custom","custom":{"name":"apply patch"}}]`, ``, ``, "tools[0].custom.name"},
		{`[{"type":"custom","custom":{"name":"p","format":{"type":"grammar","grammar":{"syntax":"ebnf","definition":"x"}}}}]`, ``, ``, "tools[0].custom.format.grammar.syntax"},
		{`[{"type":"custom","custom":{"name":"p","format":{"type":"grammar","grammar":{"syntax":"regex"}}}}]`, ``, ``, "tools[0].custom.format.grammar.definition"},
		{`[{"type":"custom","custom":{"name":"p"}}]`, `{"type":"custom","custom":{"name":"q"}}`, ``, "tool_choice"},
		{`[{"type":"custom","custom":{"name":"p"}}]`, ``,
			`{"role":"assistant","tool_calls":[{"id":"call_1","type":"custom"}]},{"role":"tool","tool_call_id":"call_1","content":"ok"},`, "messages[1].tool_calls[0].custom"},
	}
	for _, tc := range cases {
		body := `{"model":"` + model + `","messages":[{"role":"user","content":"hi"},` + tc.messages + `{"role":"user","content":"go"}],"tools":` + tc.tools
		if tc.choice != "" {
			body += `,"tool_choice":` + tc.choice
		}
		resp := postJSON(t, e, "/v1/chat/completions", body+"}", nil)
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != http.StatusBadRequest || env.Error.Type != "invalid_request_error" || env.Error.Param == nil || *env.Error.Param != tc.param {
			t.Errorf("%s: %d %+v", body, resp.StatusCode, env.Error)
		}
	}
	if n := len(upstreamCompletions(t, e.sim)); n != 0 {
		t.Fatalf("refused requests reached Qwen %d times", n)
	}
}

func responsesPatchParams(input responses.ResponseNewParamsInputUnion) responses.ResponseNewParams {
	return responses.ResponseNewParams{Model: "gpt-5", Input: input, Tools: []responses.ToolUnionParam{
		{OfCustom: &responses.CustomToolParam{Name: "apply_patch", Description: openai.String("Edit files with a patch."),
			Format: shared.CustomToolInputFormatUnionParam{OfGrammar: &shared.CustomToolInputFormatGrammarParam{Syntax: "lark", Definition: patchGrammar}}}},
		{OfFunction: &responses.FunctionToolParam{Name: "read_file", Parameters: map[string]any{"type": "object", "properties": map[string]any{"path": map[string]any{"type": "string"}}}}},
	}}
}

func TestResponsesCustomToolRoundTrip(t *testing.T) {
	e := start(t, nil)
	user := responses.ResponseInputItemParamOfMessage(usePatch(), responses.EasyInputMessageRoleUser)
	params := responsesPatchParams(responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{user}})
	var httpResp *http.Response
	got, err := e.client.Responses.New(ctxT(t), params, option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatal(err)
	}
	var call responses.ResponseCustomToolCall
	for _, it := range got.Output {
		if it.Type == "custom_tool_call" {
			call = it.AsCustomToolCall()
		}
		if it.Type == "function_call" {
			t.Fatalf("a custom call answered as a function call: %s", got.RawJSON())
		}
	}
	if call.Name != "apply_patch" || call.Input != testPatch || !strings.HasPrefix(call.CallID, "call_") || !strings.HasPrefix(call.ID, "ctc_") {
		t.Fatalf("custom call %s", got.RawJSON())
	}
	if sys := messagesOf(upstreamCompletions(t, e.sim)[0])[0]["content"].(string); !strings.Contains(sys, "### apply_patch") || !strings.Contains(sys, patchGrammar) {
		t.Fatalf("tools told upstream: %q", sys)
	}
	if row := e.lastRow(); row.FinishReason != "tool_calls" || !strings.Contains(row.OpenAIResponse.String, `"type":"custom_tool_call"`) {
		t.Fatalf("recorded %s", row.OpenAIResponse.String)
	}

	// The whole history resent, the call replayed and its output after it:
	// the same Qwen chat goes on, told the result.
	output := responses.ResponseInputItemUnionParam{OfCustomToolCallOutput: &responses.ResponseCustomToolCallOutputParam{CallID: call.CallID,
		Output: responses.ResponseCustomToolCallOutputOutputUnionParam{OfString: openai.String("Done!")}}}
	replayed := call.ToParam()
	params.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{user, {OfCustomToolCall: &replayed}, output}}
	var httpResp2 *http.Response
	next, err := e.client.Responses.New(ctxT(t), params, option.WithResponseInto(&httpResp2))
	if err != nil {
		t.Fatal(err)
	}
	if next.OutputText() != `Thanks: apply_patch said "Done!".` {
		t.Fatalf("continuation %s", next.RawJSON())
	}
	if httpResp2.Header.Get("X-Session-Id") != httpResp.Header.Get("X-Session-Id") || e.sim.Chats() != 1 {
		t.Fatalf("the replayed custom call left the session: %d chats", e.sim.Chats())
	}
	if row := e.lastRow(); !strings.Contains(row.OpenAIRequest.String, `"type":"custom_tool_call"`) || !strings.Contains(row.OpenAIRequest.String, `"type":"custom_tool_call_output"`) {
		t.Fatalf("the request is not recorded as sent: %s", row.OpenAIRequest.String)
	}
	// Its input items list them as sent.
	page, err := e.client.Responses.InputItems.List(ctxT(t), next.ID, responses.InputItemListParams{Order: responses.InputItemListParamsOrderAsc})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 3 || page.Data[1].Type != "custom_tool_call" || page.Data[1].AsCustomToolCall().Input != testPatch || page.Data[2].Type != "custom_tool_call_output" {
		t.Fatalf("input items %s", page.RawJSON())
	}

	// Under previous_response_id the output alone is sent: it reaches Qwen
	// with its tool's name, read from the record.
	first, err := e.client.Responses.New(ctxT(t), responsesPatchParams(responses.ResponseNewParamsInputUnion{OfString: openai.String(usePatch())}))
	if err != nil {
		t.Fatal(err)
	}
	callID := ""
	for _, it := range first.Output {
		if it.Type == "custom_tool_call" {
			callID = it.CallID
		}
	}
	output.OfCustomToolCallOutput.CallID = callID
	params = responsesPatchParams(responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{output}})
	params.PreviousResponseID = openai.String(first.ID)
	if _, err := e.client.Responses.New(ctxT(t), params); err != nil {
		t.Fatal(err)
	}
	if sent := e.lastRow().QwenRequest.String; callID == "" || !strings.Contains(sent, "Result of apply_patch ("+callID+")") {
		t.Fatalf("the custom result reached Qwen without its tool's name: %s", sent)
	}
}

// TestResponsesCustomToolCallStreams: a custom call streams as its own
// events, live (after the answer's text) and when a tool_choice naming it
// holds the answer until it is checked (the call alone then: a forced call
// is the whole answer).
func TestResponsesCustomToolCallStreams(t *testing.T) {
	for _, forced := range []bool{false, true} {
		t.Run(map[bool]string{false: "live", true: "forced"}[forced], func(t *testing.T) { customCallStreams(t, forced) })
	}
}

func customCallStreams(t *testing.T, forced bool) {
	e := start(t, nil)
	params := responsesPatchParams(responses.ResponseNewParamsInputUnion{OfString: openai.String(usePatch())})
	if forced {
		params.ToolChoice = responses.ResponseNewParamsToolChoiceUnion{OfCustomTool: &responses.ToolChoiceCustomParam{Name: "apply_patch"}}
	}
	stream := e.client.Responses.NewStreaming(ctxT(t), params)
	var deltas strings.Builder
	var types []string
	done, item := "", ""
	var completed responses.Response
	text := ""
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.custom_tool_call_input.delta":
			deltas.WriteString(ev.AsResponseCustomToolCallInputDelta().Delta)
		case "response.custom_tool_call_input.done":
			done = ev.AsResponseCustomToolCallInputDone().Input
		case "response.output_item.done":
			if it := ev.AsResponseOutputItemDone().Item; it.Type == "custom_tool_call" {
				item = it.AsCustomToolCall().Input
			}
		case "response.output_text.done":
			text = ev.AsResponseOutputTextDone().Text
		case "response.completed":
			completed = ev.AsResponseCompleted().Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	wantText := map[bool]string{false: "Let me do that.", true: ""}[forced]
	if deltas.String() != testPatch || done != testPatch || item != testPatch || strings.TrimSpace(text) != wantText {
		t.Fatalf("streamed input %q, done %q, item %q, text %q; events %v", deltas.String(), done, item, text, types)
	}
	if slices.Contains(types, "response.function_call_arguments.delta") {
		t.Fatalf("a custom call streamed as a function's: %v", types)
	}
	if n := len(completed.Output); n == 0 || completed.Output[n-1].Type != "custom_tool_call" || completed.Output[n-1].AsCustomToolCall().Input != testPatch {
		t.Fatalf("completed %s", completed.RawJSON())
	}
	if row := e.lastRow(); !row.Stream || row.FinishReason != "tool_calls" || !strings.Contains(row.OpenAIResponse.String, `"type":"custom_tool_call"`) {
		t.Fatalf("recorded %+v", row)
	}
}

func TestResponsesRefusesBadCustomTools(t *testing.T) {
	e := start(t, nil)
	cases := []struct{ tools, choice, input, param string }{
		{`[{"type":"custom","name":"apply patch"}]`, ``, `"hi"`, "tools[0].name"},
		{`[{"type":"custom","name":"p","format":{"type":"grammar","syntax":"ebnf","definition":"x"}}]`, ``, `"hi"`, "tools[0].format.syntax"},
		{`[{"type":"custom","name":"p","format":{"type":"grammar","syntax":"lark"}}]`, ``, `"hi"`, "tools[0].format.definition"},
		{`[{"type":"custom","name":"p","format":{"type":"json"}}]`, ``, `"hi"`, "tools[0].format.type"},
		{`[{"type":"custom","name":"p"},{"type":"function","name":"p"}]`, ``, `"hi"`, "tools[1].name"},
		{`[{"type":"custom","name":"p"}]`, `{"type":"function","name":"p"}`, `"hi"`, "tool_choice"},
		{`[{"type":"custom","name":"p"}]`, ``, `[{"role":"user","content":"hi"},{"type":"custom_tool_call","name":"p","input":"x"}]`, "input[1].call_id"},
		{`[{"type":"custom","name":"p"}]`, ``, `[{"type":"custom_tool_call_output","output":"x"}]`, "input[0].call_id"},
	}
	for _, tc := range cases {
		body := `{"model":"gpt-5","input":` + tc.input + `,"tools":` + tc.tools
		if tc.choice != "" {
			body += `,"tool_choice":` + tc.choice
		}
		resp := postJSON(t, e, "/v1/responses", body+"}", nil)
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != http.StatusBadRequest || env.Error.Type != "invalid_request_error" || env.Error.Param == nil || *env.Error.Param != tc.param {
			t.Errorf("%s: %d %+v", body, resp.StatusCode, env.Error)
		}
	}
	if n := len(upstreamCompletions(t, e.sim)); n != 0 {
		t.Fatalf("refused requests reached Qwen %d times", n)
	}
}

// TestAResponsesCustomCallIsRebuiltIntoANewChat: the chat of a
// conversation continued by previous_response_id is gone; the new chat is
// told the conversation rebuilt from the stored responses, the custom call
// among it as the function call it was offered as.
func TestAResponsesCustomCallIsRebuiltIntoANewChat(t *testing.T) {
	e := start(t, nil)
	first, err := e.client.Responses.New(ctxT(t), responsesPatchParams(responses.ResponseNewParamsInputUnion{OfString: openai.String(usePatch())}))
	if err != nil {
		t.Fatal(err)
	}
	callID := ""
	for _, it := range first.Output {
		if it.Type == "custom_tool_call" {
			callID = it.CallID
		}
	}
	e.sim.ForgetChats()
	params := responsesPatchParams(responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
		{OfCustomToolCallOutput: &responses.ResponseCustomToolCallOutputParam{CallID: callID,
			Output: responses.ResponseCustomToolCallOutputOutputUnionParam{OfString: openai.String("Done!")}}}}})
	params.PreviousResponseID = openai.String(first.ID)
	if _, err := e.client.Responses.New(ctxT(t), params); err != nil {
		t.Fatal(err)
	}
	sent := e.lastRow().QwenRequest.String
	if callID == "" || e.sim.Chats() != 2 || !strings.Contains(sent, "Assistant (call "+callID+")") || !strings.Contains(sent, `\"name\": \"apply_patch\"`) {
		t.Fatalf("the new chat was not told the custom call: %s", sent)
	}
}

// TestAnItemReferenceNamesAStoredCustomCall: a client that stores its
// answers (the Vercel AI SDK) sends a custom call back as an item_reference
// to it; it stands for the custom_tool_call, and the conversation keeps its
// chat.
func TestAnItemReferenceNamesAStoredCustomCall(t *testing.T) {
	e := start(t, nil)
	user := responses.ResponseInputItemParamOfMessage(usePatch(), responses.EasyInputMessageRoleUser)
	first, err := e.client.Responses.New(ctxT(t), responsesPatchParams(responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{user}}))
	if err != nil {
		t.Fatal(err)
	}
	var call responses.ResponseCustomToolCall
	var refs responses.ResponseInputParam
	for _, it := range first.Output {
		refs = append(refs, responses.ResponseInputItemUnionParam{OfItemReference: &responses.ResponseInputItemItemReferenceParam{ID: it.ID, Type: "item_reference"}})
		if it.Type == "custom_tool_call" {
			call = it.AsCustomToolCall()
		}
	}
	output := responses.ResponseInputItemUnionParam{OfCustomToolCallOutput: &responses.ResponseCustomToolCallOutputParam{CallID: call.CallID,
		Output: responses.ResponseCustomToolCallOutputOutputUnionParam{OfString: openai.String("Done!")}}}
	input := append(append(responses.ResponseInputParam{user}, refs...), output)
	next, err := e.client.Responses.New(ctxT(t), responsesPatchParams(responses.ResponseNewParamsInputUnion{OfInputItemList: input}))
	if err != nil {
		var apiErr *openai.Error
		if errors.As(err, &apiErr) {
			t.Fatal(apiErr.RawJSON())
		}
		t.Fatal(err)
	}
	if call.ID == "" || next.OutputText() != `Thanks: apply_patch said "Done!".` || e.sim.Chats() != 1 {
		t.Fatalf("continuation %s in %d chats", next.RawJSON(), e.sim.Chats())
	}
}
