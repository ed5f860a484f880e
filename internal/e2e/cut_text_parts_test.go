package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/qwensim"
)

// A client that keeps a cut answer's part and the answer that followed
// (a retry's, or a resume's) as two text parts of one assistant message
// goes on in the session: the parts run together, nothing between them,
// are the answer (the Chat Completions decoder joins them by a newline).
func TestAnAnswerResentAsTwoTextPartsContinuesTheSession(t *testing.T) {
	parts := func(texts ...string) openai.ChatCompletionMessageParamUnion {
		var content []openai.ChatCompletionAssistantMessageParamContentArrayOfContentPartUnion
		for _, s := range texts {
			content = append(content, openai.ChatCompletionAssistantMessageParamContentArrayOfContentPartUnion{
				OfText: &openai.ChatCompletionContentPartTextParam{Text: s}})
		}
		return openai.AssistantMessage(content)
	}
	t.Run("after a retry", func(t *testing.T) {
		e := start(t, nil)
		turn := storyTurn(t, e)
		partial, retried := cutThenRetried(t, e, nil, turn...)
		got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn, parts(partial, retried), openai.UserMessage("Go on."))...))
		if err != nil {
			t.Fatal(err)
		}
		wantContinued(t, e, got, 4)
	})
	t.Run("after a resume", func(t *testing.T) {
		e := start(t, nil)
		turn := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Tell me a long story.")}
		e.sim.Inject(qwensim.Fault{CutAfter: 3})
		partial, err := streamUntilErrorWith(t, e, chatParams(turn...))
		if err == nil || strings.TrimSpace(partial) == "" {
			t.Fatalf("the cut call did not fail after part of its answer: %q, %v", partial, err)
		}
		resumed, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
			openai.AssistantMessage(partial), openai.UserMessage(qwenCodeResumeAfter(partial)))...))
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
			parts(partial, resumed.Choices[0].Message.Content), openai.UserMessage("Go on."))...))
		if err != nil {
			t.Fatal(err)
		}
		wantContinued(t, e, got, 3)
	})
}

// The Responses API's assistant message of two output_text parts, and
// Anthropic's of two text blocks, are the parts run together too: the
// rule is the core's (qp.Message.PartsRunTogether), whichever API the
// history comes by. The cut call's part is the text deltas its stream
// sent, the retry's answer its text.
func TestAnAnswerResentAsTwoTextPartsContinuesTheSessionOnEveryAPI(t *testing.T) {
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	for _, api := range []struct {
		name, path string
		// body is the call of the conversation turn, with the answer kept
		// (if any) of the two parts a and b and the message "Go on.".
		body func(stream bool, a, b *string) string
		// delta is a streamed event's text, answer a whole answer's.
		delta  func(ev map[string]any) string
		answer func(body map[string]any) string
	}{
		{"responses", "/v1/responses",
			func(stream bool, a, b *string) string {
				input := `{"role":"user","content":"Tell me a long story."}`
				if a != nil {
					input += `,{"type":"message","role":"assistant","content":[{"type":"output_text","text":` + quote(*a) +
						`},{"type":"output_text","text":` + quote(*b) + `}]},{"role":"user","content":"Go on."}`
				}
				return fmt.Sprintf(`{"model":"qwen3-max","stream":%t,"store":false,"input":[%s]}`, stream, input)
			},
			func(ev map[string]any) string {
				if ev["type"] != "response.output_text.delta" {
					return ""
				}
				s, _ := ev["delta"].(string)
				return s
			},
			func(body map[string]any) string {
				var s strings.Builder
				for _, item := range body["output"].([]any) {
					for _, part := range item.(map[string]any)["content"].([]any) {
						s.WriteString(part.(map[string]any)["text"].(string))
					}
				}
				return s.String()
			}},
		{"anthropic messages", "/v1/messages",
			func(stream bool, a, b *string) string {
				msgs := `{"role":"user","content":"Tell me a long story."}`
				if a != nil {
					msgs += `,{"role":"assistant","content":[{"type":"text","text":` + quote(*a) + `},{"type":"text","text":` + quote(*b) + `}]}` +
						`,{"role":"user","content":"Go on."}`
				}
				return fmt.Sprintf(`{"model":"claude-x","max_tokens":1000,"stream":%t,"messages":[%s]}`, stream, msgs)
			},
			func(ev map[string]any) string {
				d, _ := ev["delta"].(map[string]any)
				if ev["type"] != "content_block_delta" || d["type"] != "text_delta" {
					return ""
				}
				return d["text"].(string)
			},
			func(body map[string]any) string {
				var s strings.Builder
				for _, block := range body["content"].([]any) {
					s.WriteString(block.(map[string]any)["text"].(string))
				}
				return s.String()
			}},
	} {
		t.Run(api.name, func(t *testing.T) {
			e := start(t, nil)
			e.sim.Inject(qwensim.Fault{CutAfter: 3})
			_, events := readEventsAt(t, e, api.path, api.body(true, nil, nil))
			var partial strings.Builder
			for _, ev := range events {
				var data map[string]any
				if json.Unmarshal([]byte(ev.data), &data) == nil {
					partial.WriteString(api.delta(data))
				}
			}
			if strings.TrimSpace(partial.String()) == "" {
				t.Fatalf("the cut call sent no part of its answer: %+v", events)
			}
			e.sync()
			retry := postJSON(t, e, api.path, api.body(false, nil, nil), nil)
			var answered map[string]any
			if err := json.NewDecoder(retry.Body).Decode(&answered); err != nil || retry.StatusCode != http.StatusOK {
				t.Fatalf("retry: %d, %v", retry.StatusCode, err)
			}
			a, b := partial.String(), api.answer(answered)
			next := postJSON(t, e, api.path, api.body(false, &a, &b), nil)
			if next.StatusCode != http.StatusOK {
				t.Fatalf("next call: %d", next.StatusCode)
			}
			up := upstreamCompletions(t, e.sim)
			if last := messagesOf(up[len(up)-1]); len(last) != 1 || last[0]["content"] != "Go on." {
				t.Fatalf("upstream messages %v, want the new message alone", last)
			}
			rows := e.rows()
			if len(rows) != 3 || rows[1].Status != "success" || rows[2].SessionID != rows[1].SessionID || rows[2].ChatID != rows[1].ChatID {
				t.Fatalf("%d rows %+v", len(rows), rows)
			}
			if k := e.count(`SELECT COUNT(*) FROM sessions`); k != 1 {
				t.Fatalf("%d sessions for one conversation", k)
			}
		})
	}
}
