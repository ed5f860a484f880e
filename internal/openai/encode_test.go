package openai

import (
	"encoding/json"
	"testing"
)

// completion is a chat completion with every part set from the inputs;
// flags picks which parts there are.
func completion(id, model, content, reasoning, name, args string, flags uint8, n int) *ChatCompletion {
	msg := ResponseMessage{Role: "assistant", ReasoningContent: reasoning}
	if flags&1 != 0 {
		msg.Content = &content
	}
	if flags&2 != 0 {
		tc := ToolCall{ID: id, Type: "function"}
		tc.Function.Name, tc.Function.Arguments = name, args
		if flags&32 != 0 {
			tc.Index = &n
		}
		msg.ToolCalls = []ToolCall{tc, tc}
	}
	if flags&4 != 0 {
		msg.Annotations = []Annotation{{Type: "url_citation", URLCitation: URLCitation{StartIndex: n, EndIndex: n + 1, Title: name, URL: args}}}
	}
	if flags&8 != 0 {
		msg.FunctionCall = &FunctionCall{Name: name, Arguments: args}
	}
	c := &ChatCompletion{ID: id, Object: "chat.completion", Created: int64(n) * 1000, Model: model,
		Usage: Usage{PromptTokens: n, CompletionTokens: -n, TotalTokens: 2 * n}}
	if flags&16 != 0 {
		c.Usage.PromptTokensDetails = &PromptTokensDetails{CachedTokens: n / 2}
		c.Usage.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: n / 3}
	}
	switch flags >> 6 {
	case 0:
		c.Choices = []ChatChoice{{Index: n, Message: msg, FinishReason: &model}}
	case 1:
		c.Choices = []ChatChoice{{Message: msg}, {Index: 1, Message: msg, FinishReason: &id}}
	case 2:
		c.Choices = []ChatChoice{}
	}
	return c
}

func checkCompletion(t *testing.T, c *ChatCompletion) {
	t.Helper()
	want, _ := json.Marshal(c)
	if got := c.Encode(); string(got) != string(want) {
		t.Fatalf("Encode:\n%s\njson.Marshal:\n%s", got, want)
	}
}

func TestChatCompletionEncode(t *testing.T) {
	for flags := range 256 {
		checkCompletion(t, completion("chatcmpl-1", "qwen3-max", "the <answer> & \u2028\n", "thought \xff", "get", `{"a":"<b>"}`, uint8(flags), 7))
	}
	checkCompletion(t, &ChatCompletion{})
}

// FuzzChatCompletionEncode: the non-streamed answer is byte for byte what
// encoding/json wrote, whatever it holds.
func FuzzChatCompletionEncode(f *testing.F) {
	f.Add("chatcmpl-1", "qwen3-max", "answer", "", "fn", "{}", uint8(1), 42)
	f.Fuzz(func(t *testing.T, id, model, content, reasoning, name, args string, flags uint8, n int) {
		checkCompletion(t, completion(id, model, content, reasoning, name, args, flags, n))
	})
}
