package server

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/translate"
)

// cachedAnswer is an answer whose usage says Qwen read 12 of its 33 input
// tokens from its prompt cache (2026: usage.prompt_tokens_details, qwen-wire.md §4.2).
func cachedAnswer(t *testing.T) *translate.Answer {
	t.Helper()
	stream := `data: {"response.created":{"chat_id": "c1", "parent_id": "p1", "response_id":"r1", "response_index": "0"}} ` + "\n\n" +
		`data: {"choices": [{"delta": {"role": "assistant", "content": "Hi", "phase": "answer", "status": "typing"}}], "usage": {"input_tokens": 33, "output_tokens": 1, "characters": 0, "total_tokens": 34, "input_tokens_details": {"text_tokens": 33}, "output_tokens_details": {"text_tokens": 1}, "prompt_tokens_details": {"cached_tokens": 12}}, "response_id": "r1", "timestamp": 1787654792}` + "\n\n" +
		`data: {"choices": [{"delta": {"content": "", "role": "assistant", "status": "finished", "phase": "answer"}}], "response_id": "r1"}` + "\n\n"
	s := qwen.NewStream(io.NopCloser(strings.NewReader(stream)))
	a := &translate.Answer{}
	for {
		ev, err := s.Next()
		if err == io.EOF {
			return a
		}
		if err != nil {
			t.Fatal(err)
		}
		a.Add(ev)
	}
}

// The Responses API tells the cached prompt tokens as
// input_tokens_details.cached_tokens, Anthropic's as
// cache_read_input_tokens, apart from its input_tokens (also in
// message_start): both said 0 whatever Qwen said.
func TestCachedPromptTokensInEachAPIsUsage(t *testing.T) {
	ans := cachedAnswer(t)
	r, err := json.Marshal(responseUsage(ans))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(r), `"input_tokens":33,"input_tokens_details":{"cached_tokens":12}`) {
		t.Errorf("Responses usage %s, want 33 input tokens of which 12 cached", r)
	}
	o := &messagesOutput{}
	u := o.usage(ans)
	if u.InputTokens != 21 || u.CacheReadInputTokens != 12 || u.OutputTokens != 1 {
		t.Errorf("Messages usage: input %d, cache read %d, output %d; want 21, 12, 1", u.InputTokens, u.CacheReadInputTokens, u.OutputTokens)
	}
	o.promptTokens(ans.Usage())
	if o.inputTokens != 21 {
		t.Errorf("message_start's input_tokens %d, want 21", o.inputTokens)
	}
}
