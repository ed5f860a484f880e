package e2e

import (
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
)

// openai-go's ChatCompletionAccumulator tells a stream's parts apart by what
// each chunk's delta holds: JustFinishedContent reports the text once the
// text is over. The role chunk said "content": "" (OpenAI's first chunk of
// a text answer), so an answer that began with its reasoning or with a tool
// call reported a finished text of "" at its first piece, and one that
// thought then spoke reported its text twice, "" first. A stream reports
// its text once, when there is text, and its calls as calls.
func TestAccumulatorReportsTextOnlyWhenThereIsText(t *testing.T) {
	e := start(t, nil)
	forced := toolParams(openai.UserMessage(`use get_weather with {"city": "Rome"}`))
	forced.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
	thinking := chatParams(openai.UserMessage("think, then answer"))
	thinking.ReasoningEffort = shared.ReasoningEffortHigh
	thinkingCall := toolParams(openai.UserMessage(`use get_weather with {"city": "Oslo"}`))
	thinkingCall.ReasoningEffort = shared.ReasoningEffortHigh
	for _, c := range []struct {
		name   string
		params openai.ChatCompletionNewParams
		texts  []string // what JustFinishedContent reports, in order
		calls  int
	}{
		{"a forced call alone", forced, nil, 1},
		{"thinking, then text", thinking, []string{`You said: "think, then answer".`}, 0},
		{"thinking, then text and a call", thinkingCall, []string{"Let me do that."}, 1},
		{"text alone", chatParams(openai.UserMessage("just text")), []string{`You said: "just text".`}, 0},
	} {
		stream := e.client.Chat.Completions.NewStreaming(ctxT(t), c.params)
		acc := openai.ChatCompletionAccumulator{}
		var texts []string
		calls := 0
		for stream.Next() {
			acc.AddChunk(stream.Current())
			if text, ok := acc.JustFinishedContent(); ok {
				texts = append(texts, text)
			}
			if _, ok := acc.JustFinishedToolCall(); ok {
				calls++
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(texts) != len(c.texts) || calls != c.calls {
			t.Errorf("%s: finished texts %q and %d calls, want %q and %d", c.name, texts, calls, c.texts, c.calls)
			continue
		}
		for i := range texts {
			if texts[i] != c.texts[i] {
				t.Errorf("%s: finished texts %q, want %q", c.name, texts, c.texts)
			}
		}
		if acc.Choices[0].Message.Role != "assistant" {
			t.Errorf("%s: role %q", c.name, acc.Choices[0].Message.Role)
		}
	}
}
