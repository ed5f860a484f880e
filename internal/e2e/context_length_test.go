package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
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

// Claude Code streams every turn. A conversation too long for the model,
// which Qwen says before any of the answer, is the HTTP 400 Anthropic
// answers it with ("prompt is too long"), on which Claude Code compacts its
// history at once — not a 200 stream holding only message_start and an
// error event, which Claude Code took for a broken stream and asked again
// without streaming before it compacted (a call more, recorded as a 200
// that failed).
func TestAStreamedMessagesConversationTooLongIsA400(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{ContextTooLong: true})
	resp := postJSON(t, e, "/v1/messages", `{"model":"claude-opus-5-5","max_tokens":100,"stream":true,"thinking":{"type":"adaptive"},`+
		`"messages":[{"role":"user","content":"a very long conversation"}]}`, nil)
	if resp.StatusCode != http.StatusBadRequest {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if env := decodeAnthropicError(t, resp); env.Error.Type != "invalid_request_error" || !strings.HasPrefix(env.Error.Message, "prompt is too long") {
		t.Fatalf("error %+v", env)
	}
	if r := e.lastRow(); r.ErrorType != "invalid_input" || r.HTTPStatus != 400 || !r.Stream {
		t.Fatalf("row %+v", r)
	}
}

// Codex (Responses) and OpenCode or Cline (Chat Completions) stream every
// turn too: a conversation too long for the model is OpenAI's 400
// context_length_exceeded before any of the stream, on which they compact,
// whatever the timing of Qwen's created event before its refusal
// (TestAStreamDoesNotOpenOnQwensCreatedEventAlone).
func TestStreamedOpenAIConversationsTooLongAreA400(t *testing.T) {
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"a very long conversation"}]}`},
		{"/v1/responses", `{"model":"qwen3-max","stream":true,"input":"a very long conversation"}`},
	} {
		t.Run(c.path, func(t *testing.T) {
			e := start(t, nil)
			e.sim.Inject(qwensim.Fault{ContextTooLong: true})
			resp := postJSON(t, e, c.path, c.body, nil)
			b, _ := io.ReadAll(resp.Body)
			var env struct {
				Error struct{ Code, Type, Message string }
			}
			if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(b, &env) != nil || env.Error.Code != "context_length_exceeded" ||
				env.Error.Type != "invalid_request_error" || !strings.HasPrefix(env.Error.Message, "prompt is too long") {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			if r := e.lastRow(); r.ErrorType != "invalid_input" || r.HTTPStatus != 400 || !r.Stream {
				t.Fatalf("row %+v", r)
			}
		})
	}
}
