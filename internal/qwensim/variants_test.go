package qwensim

import (
	"encoding/json"
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

// Both interleaved candidates are answers of the chat (qwen-2026.md §3.1:
// each has its response_id, under the same user message): a next turn may
// hang under the one that is not the turn's usual answer, as a client that
// keeps the first candidate to speak does when that is candidate "0". It
// was no node of the chat, and the turn was refused as hanging under an
// unknown parent, which Qwen, keeping both answers, would not do.
func TestATurnMayHangUnderEitherCandidate(t *testing.T) {
	srv, err := Start(Options{Interleave: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chatID := newChat2026(t, srv, nil, "normal")
	body := strings.Replace(completion(chatID, "normal", "qwen3-max", false, "first"), `"feature_config":{`, `"feature_config":{"output_schema":"phase",`, 1)
	_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
	var index0 string
	for _, line := range strings.Split(b, "\n") {
		var ev struct {
			C *struct {
				ResponseID    string `json:"response_id"`
				ResponseIndex string `json:"response_index"`
			} `json:"response.created"`
		}
		if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev) == nil && ev.C != nil && ev.C.ResponseIndex == "0" {
			index0 = ev.C.ResponseID
		}
	}
	if index0 == "" {
		t.Fatalf("no candidate 0 in %.400s", b)
	}
	next := strings.Replace(completion(chatID, "normal", "qwen3-max", false, "second"), `"parent_id":null`, `"parent_id":"`+index0+`"`, -1)
	_, _, b = webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, next, nil)
	if !strings.Contains(b, `"response.created"`) || strings.Contains(b, `"success":false`) {
		t.Fatalf("a turn under candidate 0: %.400s", b)
	}
}
