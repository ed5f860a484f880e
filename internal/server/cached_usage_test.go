package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/translate"
)

// cachedAnswer is an answer whose usage says Qwen read 12 of its 33 input
// tokens from its prompt cache (2026: usage.prompt_tokens_details, qwen-wire.md §4.2;
// translate reads it from the stream).
func cachedAnswer(t *testing.T) *translate.Answer {
	t.Helper()
	a := &translate.Answer{}
	a.Add(&qwen.Event{Kind: qwen.EventCreated, Created: qwen.Created{ChatID: "c1", ParentID: "p1", ResponseID: "r1"}})
	a.Add(&qwen.Event{Kind: qwen.EventDelta, Phase: qwen.PhaseAnswer, Content: "Hi", ResponseID: "r1", HasUsage: true,
		Usage: qwen.Usage{InputTokens: 33, OutputTokens: 1, TotalTokens: 34, PromptTokensDetails: qwen.PromptTokensDetails{CachedTokens: 12}}})
	a.Add(&qwen.Event{Kind: qwen.EventDelta, Phase: qwen.PhaseAnswer, Finished: true, ResponseID: "r1"})
	return a
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

// A stream's message_start says the cached prompt tokens too: its
// input_tokens leave them out, so with cache_read_input_tokens 0 it told a
// prompt of 21 tokens where Qwen read 33 (message_delta said 12 cached).
func TestMessageStartCountsCachedPromptTokens(t *testing.T) {
	rec := httptest.NewRecorder()
	c := &call{w: rec, r: httptest.NewRequest(http.MethodPost, "/v1/messages", nil),
		live: (&active{}).begin("req", "/v1/messages", time.Now())}
	o := messagesFormat{}.open(c, &turnSpec{stream: true}, false).(*messagesOutput)
	o.promptTokens(cachedAnswer(t).Usage())
	o.start()
	start, _, _ := strings.Cut(rec.Body.String(), "event: ping")
	if !strings.Contains(start, `"input_tokens":21,`) || !strings.Contains(start, `"cache_read_input_tokens":12,`) {
		t.Errorf("message_start %s: want 21 input tokens and 12 read from the cache", start)
	}
}
