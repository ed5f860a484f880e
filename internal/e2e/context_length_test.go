package e2e

import (
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/qwensim"
)

// Qwen's ContextLengthExceeded (a mid-stream error, qwen-wire.md §5) is the
// client's conversation grown too long for the model: a 400 with OpenAI's
// code context_length_exceeded and a message that starts as Anthropic's
// ("prompt is too long"), on which agents compact their history, and which
// SDKs do not retry — not a 502 "Qwen refused the request".
func TestAConversationTooLongForTheModelIsContextLengthExceeded(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{ContextTooLong: true})
	_, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("a very long conversation")))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "context_length_exceeded" || apiErr.Type != "invalid_request_error" ||
		!strings.HasPrefix(apiErr.Message, "prompt is too long") {
		t.Fatalf("error %v", err)
	}
	if r := e.lastRow(); r.ErrorType != "invalid_input" || r.HTTPStatus != 400 {
		t.Fatalf("row %+v", r)
	}
	if n := len(upstreamCompletions(t, e.sim)); n != 1 {
		t.Fatalf("%d completions: a conversation too long was asked again", n)
	}
}
