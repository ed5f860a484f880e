package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
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
