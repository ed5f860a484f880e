package session

import (
	"encoding/json"
	"strings"
	"testing"

	"qwenproxy/internal/openai"
)

// FuzzKey checks the session key's contract on arbitrary conversations: the
// same conversation always hashes alike, and moving text from one message
// to the next (the classic length-extension of naive concatenation) changes
// the key.
func FuzzKey(f *testing.F) {
	f.Add("user", "Hello", "assistant", "Hi there")
	f.Add("system", "", "user", "a\x00b")
	f.Fuzz(func(t *testing.T, role1, text1, role2, text2 string) {
		msg := func(role, text string) openai.Message {
			b, _ := json.Marshal(text)
			return openai.Message{Role: role, Content: b}
		}
		a := []openai.Message{msg(role1, text1), msg(role2, text2)}
		if key(a, nil) != key(a, nil) {
			t.Fatal("the key is not deterministic")
		}
		if len(text2) > 0 {
			moved := []openai.Message{msg(role1, text1+text2[:1]), msg(role2, text2[1:])}
			if normal(a) != normal(moved) && key(a, nil) == key(moved, nil) {
				t.Fatalf("moving a byte between messages kept the key: %q|%q", text1, text2)
			}
		}
	})
}

// normal is the conversation as the key sees it (trimmed texts).
func normal(msgs []openai.Message) string {
	var out []string
	for _, m := range msgs {
		text, _ := m.Text()
		out = append(out, m.Role, strings.TrimSpace(text))
	}
	b, _ := json.Marshal(out)
	return string(b)
}
