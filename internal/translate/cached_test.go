package translate

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"qwenproxy/internal/qwen"
)

// cachedAnswer is an answer whose usage says Qwen read 12 of its 33 input
// tokens from its prompt cache, in the 2026 form.
func cachedAnswer(t *testing.T) *Answer {
	t.Helper()
	stream := `data: {"response.created":{"chat_id": "c1", "parent_id": "p1", "response_id":"r1", "response_index": "0"}} ` + "\n\n" +
		`data: {"choices": [{"delta": {"role": "assistant", "content": "Hi", "phase": "answer", "status": "typing"}}], "usage": {"input_tokens": 33, "output_tokens": 1, "characters": 0, "total_tokens": 34, "input_tokens_details": {"text_tokens": 33}, "output_tokens_details": {"text_tokens": 1}, "prompt_tokens_details": {"cached_tokens": 12}}, "response_id": "r1", "timestamp": 1787654792}` + "\n\n" +
		`data: {"choices": [{"delta": {"content": "", "role": "assistant", "status": "finished", "phase": "answer"}}], "response_id": "r1"}` + "\n\n"
	s := qwen.NewStream(io.NopCloser(strings.NewReader(stream)))
	a := &Answer{}
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

// The prompt tokens Qwen read from its cache reach OpenAI's usage as
// prompt_tokens_details.cached_tokens (they were dropped), and a corrective
// turn's answer carries the cached tokens of the answer it corrected.
func TestCachedTokensReachTheUsage(t *testing.T) {
	a := cachedAnswer(t)
	got, err := json.Marshal(a.Usage())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"prompt_tokens":33,"completion_tokens":1,"total_tokens":34,"prompt_tokens_details":{"cached_tokens":12}}`; string(got) != want {
		t.Fatalf("usage %s, want %s", got, want)
	}
	corrected := cachedAnswer(t)
	corrected.Carry(cachedAnswer(t))
	got, _ = json.Marshal(corrected.Usage())
	if want := `{"prompt_tokens":66,"completion_tokens":2,"total_tokens":68,"prompt_tokens_details":{"cached_tokens":24}}`; string(got) != want {
		t.Fatalf("carried usage %s, want %s", got, want)
	}
}
