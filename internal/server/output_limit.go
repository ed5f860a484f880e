package server

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"qwenproxy/internal/openai"
)

// limitField is a request's output limit as sent (max_tokens,
// max_completion_tokens, max_output_tokens; nil or null when not sent).
type limitField struct {
	name  string
	value json.RawMessage
}

// limitWords is how a client API words an output limit above the model's
// most: the field, the value sent (as the client wrote it, digits) and
// the model's most.
type limitWords func(name, sent string, most int, model string) *openai.Error

// openAILimit is OpenAI's 400 for a max_tokens (or max_completion_tokens,
// max_output_tokens) above the model's most: "max_tokens is too large:
// 8192. This model supports at most 4096 completion tokens, whereas you
// provided 8192.", param the field, code null.
func openAILimit(name, sent string, most int, _ string) *openai.Error {
	return openai.InvalidRequest(name, "", "%s is too large: %s. This model supports at most %d completion tokens, whereas you provided %s.", name, sent, most, sent)
}

// anthropicLimit is Anthropic's 400 invalid_request_error for a max_tokens
// above the model's most: "max_tokens: 200000 > 64000, which is the
// maximum allowed number of output tokens for claude-…".
func anthropicLimit(name, sent string, most int, model string) *openai.Error {
	return openai.InvalidRequest(name, "invalid_value", "%s: %s > %d, which is the maximum allowed number of output tokens for %s", name, sent, most, model)
}

// checkOutputLimit refuses, in the client API's words, an output limit
// above the most output tokens Qwen's model list gives the turn's model
// (max_generation_length, which GET /v1/models publishes as the model's
// max_tokens): Qwen cannot write more, and the real APIs refuse such a
// limit rather than take it. Nothing is refused when the list cannot be
// had, the model is not in it, or its entry gives no such bound — a
// thinking model's gives its thinking's alone
// (max_thinking_generation_length), which leaves a thinking turn's whole
// output, thinking included, without one; nor is a limit sent with a model
// name mapped onto the Qwen model (t.mapped). Of the fields, the first sent
// is the limit and alone checked (max_completion_tokens before max_tokens,
// as OutputLimit reads them).
func (s *Server) checkOutputLimit(ctx context.Context, t *turnSpec, words limitWords, fields ...limitField) *openai.Error {
	if t.mapped {
		// The client named another vendor's model (a coding agent's
		// claude-* or gpt-*, a MODEL_MAP rule) and sends that model's
		// limit (Claude Code's 32000 to 64000): not the Qwen model's to
		// refuse. Qwen writes what it can.
		return nil
	}
	caps, err := s.models.capabilities(ctx)
	if err != nil {
		return nil
	}
	c, listed := caps[t.model]
	if !listed || c.MaxOutput <= 0 || c.MaxThinkingOutput > 0 && (t.thinking || c.ThinkingRequired) {
		return nil
	}
	for _, f := range fields {
		n, ok := openai.IntegerValue(f.value)
		if !ok {
			continue // not sent (null): the next field is the limit
		}
		if n <= float64(c.MaxOutput) {
			return nil // the limit; a later field, not taken, is not held to it
		}
		sent := strconv.FormatFloat(n, 'f', -1, 64)
		if n > 1<<53 { // beyond a float64's integers (or an int64's): as written
			sent = clip(string(bytes.TrimSpace(f.value)))
		}
		return words(f.name, sent, c.MaxOutput, t.model)
	}
	return nil
}
