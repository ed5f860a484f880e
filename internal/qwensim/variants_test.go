package qwensim

import (
	"strings"
	"testing"
)

// The 2026 stream variants a fault asks for are what the simulator sends
// (the proxy's tests of them pass just as well when the simulator sends
// the usual stream, so they prove nothing unless it does): thinking as
// phase-less reasoning_content deltas instead of a think phase, and two
// candidate answers, each opened by its own response.created.
func TestFaultsPlayTheStreamVariants(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ask := func(f *Fault) string {
		t.Helper()
		if f != nil {
			srv.Inject(*f)
		}
		chatID := newChat2026(t, srv, nil, "normal")
		body := strings.Replace(completion(chatID, "normal", "qwen3-max", true, "think about it"), `"feature_config":{`, `"feature_config":{"output_schema":"phase",`, 1)
		_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
		return b
	}
	usual := ask(nil)
	if strings.Contains(usual, `"reasoning_content"`) || !strings.Contains(usual, `"phase": "think"`) || strings.Count(usual, `"response.created"`) != 1 {
		t.Fatalf("the usual stream: %.600s", usual)
	}
	if b := ask(&Fault{ReasoningContent: true}); !strings.Contains(b, `"reasoning_content": "Considering`) || strings.Contains(b, `"phase": "think"`) {
		t.Errorf("thinking as reasoning_content: %.600s", b)
	}
	if b := ask(&Fault{Interleave: true}); strings.Count(b, `"response.created"`) != 2 || !strings.Contains(b, `"response_index": "1"`) || !strings.Contains(b, `"content": "Another"`) {
		t.Errorf("interleaved candidates: %.600s", b)
	}
}
