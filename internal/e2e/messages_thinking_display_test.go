package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// Anthropic's thinking.display "omitted" (the default of its newest models,
// which clients such as the Agent SDK ask for) returns thinking blocks with
// an empty thinking field and their signature, so that a client keeps the
// blocks for the next turn without receiving the reasoning; "summarized"
// (or none) returns it. Streamed, an omitted block opens and closes with
// its signature_delta and no thinking_delta. The record keeps what the
// client got.
func TestThinkingDisplayOmittedSendsEmptyThinkingBlocks(t *testing.T) {
	e := start(t, nil)
	type block struct {
		Type      string
		Thinking  *string
		Signature *string
	}
	thinkingOf := func(t *testing.T, body string) block {
		var msg struct{ Content []block }
		if err := json.Unmarshal([]byte(body), &msg); err != nil || len(msg.Content) == 0 || msg.Content[0].Type != "thinking" {
			t.Fatalf("%v: %s", err, body)
		}
		return msg.Content[0]
	}
	for _, display := range []string{`"omitted"`, `"summarized"`} {
		thinking := `{"type":"adaptive","display":` + display + `}`
		resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"thinking":`+thinking+`,"messages":[{"role":"user","content":"hi"}]}`, nil)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", display, resp.StatusCode, body)
		}
		b := thinkingOf(t, body)
		if omitted := display == `"omitted"`; b.Thinking == nil || (*b.Thinking == "") != omitted || b.Signature == nil || *b.Signature == "" {
			t.Errorf("display %s: thinking block %s", display, body)
		}
		if stored := e.lastRow().OpenAIResponse.String; *thinkingOf(t, stored).Thinking != *b.Thinking {
			t.Errorf("display %s: recorded %s, sent %s", display, stored, body)
		}
	}

	// The client resends the omitted block: the conversation goes on in its
	// session and chat.
	first := e.lastRow()
	resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"thinking":{"type":"adaptive","display":"omitted"},"messages":[`+
		`{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"","signature":"qwenproxy"},{"type":"text","text":"You said: \"hi\"."}]},`+
		`{"role":"user","content":"and again"}]}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("next turn: %d %s", resp.StatusCode, body)
	}
	if next := e.lastRow(); next.SessionID != first.SessionID || next.ChatID != first.ChatID || next.NewChatAttempts != 0 {
		t.Errorf("next turn: session %s chat %s (%d new chats), want %s %s", next.SessionID, next.ChatID, next.NewChatAttempts, first.SessionID, first.ChatID)
	}

	resp = postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":4096,"stream":true,"thinking":{"type":"enabled","budget_tokens":2048,"display":"omitted"},`+
		`"messages":[{"role":"user","content":"hi"}]}`, nil)
	stream := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || strings.Contains(stream, "thinking_delta") ||
		!strings.Contains(stream, `"content_block":{"type":"thinking","thinking":"","signature":""}`) || !strings.Contains(stream, "signature_delta") {
		t.Errorf("streamed, display omitted: %d %s", resp.StatusCode, stream)
	}

	resp = postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"thinking":{"type":"adaptive","display":"hidden"},"messages":[{"role":"user","content":"hi"}]}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "thinking.display") {
		t.Errorf("display hidden: %d %s", resp.StatusCode, body)
	}
}

// A model that always thinks (and a guest's, whose thinking is left to
// Qwen) gives reasoning the client did not ask for: without thinking, or
// with it disabled, the Messages API sends no thinking block, streamed or
// not, as Anthropic sends none, so the answer is content[0].text (the
// README's example read undefined). Asked for, it is sent.
func TestThinkingNotAskedForSendsNoThinkingBlock(t *testing.T) {
	e := start(t, nil)
	const model = `"model":"` + qwensim.ThinkingModel + `","max_tokens":100,`
	for _, thinking := range []string{``, `"thinking":{"type":"disabled"},`} {
		resp := postJSON(t, e, "/v1/messages", `{`+model+thinking+`"messages":[{"role":"user","content":"deep"}]}`, nil)
		body := readBody(t, resp)
		var msg struct{ Content []struct{ Type, Text string } }
		if err := json.Unmarshal([]byte(body), &msg); err != nil || resp.StatusCode != 200 || len(msg.Content) != 1 || msg.Content[0].Type != "text" ||
			msg.Content[0].Text != `You said: "deep".` || strings.Contains(e.lastRow().OpenAIResponse.String, "thinking") {
			t.Errorf("%s: %d %s", thinking, resp.StatusCode, body)
		}
		resp = postJSON(t, e, "/v1/messages", `{`+model+thinking+`"stream":true,"messages":[{"role":"user","content":"deep"}]}`, nil)
		stream := readBody(t, resp)
		if resp.StatusCode != 200 || strings.Contains(stream, "thinking") || !strings.Contains(stream, `"content_block":{"type":"text","text":"","citations":null},"index":0`) {
			t.Errorf("%s streamed: %d %s", thinking, resp.StatusCode, stream)
		}
	}
	resp := postJSON(t, e, "/v1/messages", `{`+model+`"thinking":{"type":"adaptive"},"messages":[{"role":"user","content":"deep"}]}`, nil)
	if body := readBody(t, resp); !strings.Contains(body, `"type":"thinking"`) {
		t.Errorf("asked for: %s", body)
	}
}
