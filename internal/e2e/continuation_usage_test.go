package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAContinuationsInputTokensCountTheConversation: Qwen's usage counts
// the whole chat its model reads, not only the one message a 2026 request
// carries, and the simulator counts so (qwensim
// TestAContinuationsInputTokensCountItsThread). A conversation's second
// turn, continued in the first's Qwen chat, tells Anthropic's client
// (whose message_start input_tokens Claude Code reads as its context's
// size) input_tokens covering the first turn's prompt and answer, and
// records what the client was told.
func TestAContinuationsInputTokensCountTheConversation(t *testing.T) {
	e := start(t, nil)
	type turn struct {
		session, text string
		input, output int
	}
	send := func(messages string) turn {
		t.Helper()
		resp := postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":256,"stream":true,"messages":[`+messages+`]}`, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		got := turn{session: resp.Header.Get("X-Session-Id")}
		for _, line := range strings.Split(string(b), "\n") {
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			var ev struct {
				Type    string
				Message struct {
					Usage struct {
						InputTokens int `json:"input_tokens"`
					}
				}
				Delta struct{ Text string }
				Usage struct {
					InputTokens  int `json:"input_tokens"`
					OutputTokens int `json:"output_tokens"`
				}
			}
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatalf("event %s: %v", data, err)
			}
			switch ev.Type {
			case "message_start":
				got.input = ev.Message.Usage.InputTokens
			case "content_block_delta":
				got.text += ev.Delta.Text
			case "message_delta":
				if ev.Usage.InputTokens != got.input {
					t.Fatalf("message_start input_tokens %d, message_delta %d", got.input, ev.Usage.InputTokens)
				}
				got.output = ev.Usage.OutputTokens
			}
		}
		if got.input == 0 || got.output == 0 || got.text == "" || got.session == "" {
			t.Fatalf("no usage, answer or session: %s", b)
		}
		if row := e.lastRow(); row.PromptTokens != got.input || row.CompletionTokens != got.output {
			t.Fatalf("recorded %d+%d tokens, the client was told %d+%d", row.PromptTokens, row.CompletionTokens, got.input, got.output)
		}
		return got
	}
	first := `{"role":"user","content":"tell me about the sea and its tides"}`
	t1 := send(first)
	said, _ := json.Marshal(t1.text)
	t2 := send(first + `,{"role":"assistant","content":` + string(said) + `},{"role":"user","content":"and the moon, please"}`)
	if t2.session != t1.session {
		t.Fatalf("the second turn is session %s, the first %s: not continued", t2.session, t1.session)
	}
	if t2.input <= t1.input+t1.output {
		t.Fatalf("the second turn's input_tokens %d do not cover the first turn's %d+%d", t2.input, t1.input, t1.output)
	}
}
