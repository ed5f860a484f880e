package e2e

import (
	"encoding/json"
	"testing"
)

// A chat completion has every field of OpenAI's object: service_tier (the
// tier that served it), system_fingerprint, a choice's logprobs and the
// message's refusal, null when there is nothing to say. They were left
// out, which typed clients read as missing fields.
func TestAChatCompletionHasEveryField(t *testing.T) {
	e := start(t, nil)
	var got struct {
		ServiceTier       *string         `json:"service_tier"`
		SystemFingerprint json.RawMessage `json:"system_fingerprint"`
		Choices           []struct {
			Logprobs json.RawMessage `json:"logprobs"`
			Message  struct {
				Refusal json.RawMessage `json:"refusal"`
			} `json:"message"`
		} `json:"choices"`
	}
	b := readBody(t, postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`, nil))
	if err := json.Unmarshal([]byte(b), &got); err != nil || got.ServiceTier == nil || *got.ServiceTier != "default" || string(got.SystemFingerprint) != "null" ||
		len(got.Choices) != 1 || string(got.Choices[0].Logprobs) != "null" || string(got.Choices[0].Message.Refusal) != "null" {
		t.Fatalf("%v: %s", err, b)
	}
}
