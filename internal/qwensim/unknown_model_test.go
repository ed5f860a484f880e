package qwensim

import (
	"strings"
	"testing"
)

// Qwen answers only the models its list has; the simulator answered any
// name, so a proxy sending a misspelt one (a DEFAULT_MODEL typo) passed
// its tests. A model its list lacks is refused on chats/new and on a
// completion, in the envelope Qwen refuses a request with (Bad_Request,
// x-actual-status-code 400); a listed one is answered.
func TestAModelTheListLacksIsRefused(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const refused = `"code":"Bad_Request","details":"` + UnknownModel + `"`
	if _, _, b := webCall(t, srv, "/api/v2/chats/new", `{"chatId":"","models":["qwen3-maxx"],"project_id":"","timestamp":1,"chat_type":"t2t","chat_mode":"normal"}`, nil); !strings.Contains(b, refused) {
		t.Errorf("chats/new of qwen3-maxx: %s", b)
	}
	chatID := newChat2026(t, srv, nil, "normal")
	if _, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, completion(chatID, "normal", "qwen3-maxx", false, "hi"), nil); !strings.Contains(b, refused) {
		t.Errorf("completion of qwen3-maxx: %s", b)
	}
	// The 2026 list's own models, the text-only one among them, answer.
	for _, model := range []string{"qwen3-max", TextOnlyModel} {
		if _, _, b := webCall(t, srv, "/api/v2/chats/new", `{"chatId":"","models":["`+model+`"],"project_id":"","timestamp":1,"chat_type":"t2t","chat_mode":"normal"}`, nil); !strings.Contains(b, `"success":true`) {
			t.Errorf("chats/new of %s: %s", model, b)
		}
	}
}
