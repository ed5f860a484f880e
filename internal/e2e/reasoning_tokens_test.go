package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

// Qwen counts an answer's thinking in its usage (2026:
// output_tokens_details.reasoning_tokens, qwen-wire.md §4.2); a client is
// told it as its API tells reasoning tokens: chat completions'
// completion_tokens_details, streamed and not, the Responses API's
// output_tokens_details. An answer without thinking counts none.
func TestReasoningTokensAreCounted(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage("think about it"))
	params.Model = "qwen3-vl-plus-thinking"
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Usage.CompletionTokensDetails.ReasoningTokens; r <= 0 || r >= got.Usage.CompletionTokens {
		t.Errorf("chat: reasoning tokens %d of %d completion tokens: %s", r, got.Usage.CompletionTokens, got.RawJSON())
	}

	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	var usage openai.CompletionUsage
	for stream.Next() {
		if c := stream.Current(); c.Usage.TotalTokens > 0 {
			usage = c.Usage
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if r := usage.CompletionTokensDetails.ReasoningTokens; r <= 0 || r >= usage.CompletionTokens {
		t.Errorf("chat stream: reasoning tokens %d of %d completion tokens", r, usage.CompletionTokens)
	}

	params = chatParams(openai.UserMessage("no thinking"))
	params.Model = "qwen3-vl-plus"
	plain, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.RawJSON(), "reasoning_tokens") {
		t.Errorf("chat without thinking counts reasoning tokens: %s", plain.RawJSON())
	}

	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-vl-plus","reasoning":{"effort":"high"},"input":"think about it"}`, nil)
	body := readBody(t, resp)
	var r struct {
		Usage struct {
			OutputTokens        int `json:"output_tokens"`
			OutputTokensDetails struct {
				ReasoningTokens int `json:"reasoning_tokens"`
			} `json:"output_tokens_details"`
		}
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || resp.StatusCode != 200 {
		t.Fatalf("responses: %d %s %v", resp.StatusCode, body, err)
	}
	if n := r.Usage.OutputTokensDetails.ReasoningTokens; n <= 0 || n >= r.Usage.OutputTokens {
		t.Errorf("responses: reasoning tokens %d of %d output tokens: %s", n, r.Usage.OutputTokens, body)
	}
}
