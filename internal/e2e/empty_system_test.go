package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

// An empty system or developer prompt (an app's unset one) is taken, as
// OpenAI takes it and as the Responses and Messages APIs here take an empty
// instruction: it asks for nothing, so the chat is told no system section.
// Until 2026-12-07 Chat Completions refused the call with a 400 "messages[0]
// has no text content".
func TestAnEmptySystemPromptIsTaken(t *testing.T) {
	e := start(t, nil)
	for _, first := range []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(""), openai.DeveloperMessage(" ")} {
		got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(first, openai.UserMessage("hello proxy")))
		if err != nil {
			t.Fatal(err)
		}
		if want := `You said: "hello proxy".`; got.Choices[0].Message.Content != want {
			t.Fatalf("content = %q, want %q", got.Choices[0].Message.Content, want)
		}
		if r := e.lastRow(); r.Status != "success" || strings.Contains(r.QwenRequest.String, "[System instructions]") {
			t.Fatalf("record %s %s, want a success told no system section", r.Status, r.QwenRequest.String)
		}
	}
}
