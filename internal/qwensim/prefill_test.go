package qwensim

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func nonStreamAnswer(t *testing.T, srv *Server, role, content string) string {
	t.Helper()
	chatID := newChatViaHTTP(t, srv)
	msg, _ := json.Marshal(map[string]any{"role": role, "content": content, "parent_id": nil})
	resp := post(t, srv.URL+"/api/v2/chat/completions?chat_id="+chatID,
		`{"stream":false,"chat_id":"`+chatID+`","model":"qwen3-max","parent_id":null,"messages":[`+string(msg)+`]}`)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v struct {
		Success bool
		Data    struct {
			Choices []struct{ Message struct{ Content string } }
		}
	}
	if err := json.Unmarshal(b, &v); err != nil || !v.Success || len(v.Data.Choices) != 1 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	return v.Data.Choices[0].Message.Content
}

// An assistant message as a chat's first turn is answered (it once crashed
// the compose step, which looked for a user message).
func TestAssistantMessageAloneIsAnswered(t *testing.T) {
	srv, err := Start(Options{Format: Format2025})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if got := nonStreamAnswer(t, srv, "assistant", "Once upon a time"); !strings.Contains(got, `"Once upon a time"`) {
		t.Fatalf("answer %q", got)
	}
	got := nonStreamAnswer(t, srv, "user", "Tell a story\n\nContinue it.\n[Answer so far]\nOnce upon \n[End of answer so far]")
	if !strings.HasPrefix(got, "Once upon and so it goes on (continuing: Tell a story") {
		t.Fatalf("continuation %q", got)
	}
}
