package e2e

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
)

// TestACallWhoseArgumentsHoldItsClosingTagArrivesWhole: a coding agent
// asked to write a file whose text holds "</tool_call>" (the source or docs
// of anything that speaks Qwen's tool markup, this proxy's among them) got
// the call cut at that tag inside the JSON string, Kilo's write writing
// only the text before it, and the rest of the block shown as answer text.
// A closing tag inside the arguments' strings ends nothing: the call
// arrives whole, streamed or not, and the answer's text is the model's own.
func TestACallWhoseArgumentsHoldItsClosingTagArrivesWhole(t *testing.T) {
	e := start(t, nil)
	write := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name: "write",
		Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{
			"filePath": map[string]any{"type": "string"}, "content": map[string]any{"type": "string"}}},
	})
	const content = "Call one so:\n<tool_call>\n{\"name\": \"x\"}\n</tool_call>\nThen \"stop\" \\ 🎉 </tool_call> done.\n"
	args := `{"filePath":"/w/notes.md","content":` + rawJSONText(content) + `}`
	for _, stream := range []bool{false, true} {
		params := chatParams(openai.UserMessage("use write with " + args))
		params.Tools = []openai.ChatCompletionToolUnionParam{write}
		var msg openai.ChatCompletionMessage
		var finish string
		if stream {
			s := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
			acc := openai.ChatCompletionAccumulator{}
			for s.Next() {
				acc.AddChunk(s.Current())
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			msg, finish = acc.Choices[0].Message, acc.Choices[0].FinishReason
		} else {
			got, err := e.client.Chat.Completions.New(ctxT(t), params)
			if err != nil {
				t.Fatal(err)
			}
			msg, finish = got.Choices[0].Message, got.Choices[0].FinishReason
		}
		if finish != "tool_calls" || len(msg.ToolCalls) != 1 || strings.TrimSpace(msg.Content) != "Let me do that." {
			t.Fatalf("stream %v: %s, text %q, calls %+v", stream, finish, msg.Content, msg.ToolCalls)
		}
		var got struct{ FilePath, Content string }
		if err := json.Unmarshal([]byte(msg.ToolCalls[0].Function.Arguments), &got); err != nil || got.Content != content || got.FilePath != "/w/notes.md" {
			t.Fatalf("stream %v: arguments %s (%v)", stream, msg.ToolCalls[0].Function.Arguments, err)
		}
	}
}

// rawJSONText is s as a JSON string with its <, > and & as they are, as a
// model writes them (json.Marshal would escape them as \u003c…).
func rawJSONText(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}
