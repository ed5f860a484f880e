package qwensim

import (
	"encoding/json"
	"strings"
	"testing"
)

// Qwen's 2026 thinking summary resends its paragraphs on every event and
// grows the one it is writing in place (the 2026 clients take what extends
// the text so far). The simulator's summary does so too, so that a client
// that counts paragraphs only, and loses the growth, fails here.
func TestTheThinkingSummaryGrowsItsParagraphInPlace(t *testing.T) {
	srv, err := Start(Options{SummaryThinking: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chatID := newChat2026(t, srv, nil, "normal")
	body := strings.Replace(completion(chatID, "normal", "qwen3-max", true, "think about tea"), `"feature_config":{`, `"feature_config":{"output_schema":"phase",`, 1)
	_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
	var lists [][]string
	for _, ev := range fixtureEvents([]byte(b)) {
		var v struct {
			Choices []struct {
				Delta struct {
					Phase string `json:"phase"`
					Extra struct {
						SummaryThought struct {
							Content []string `json:"content"`
						} `json:"summary_thought"`
					} `json:"extra"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(string(ev), "data: "))), &v) != nil || len(v.Choices) == 0 {
			continue
		}
		if d := v.Choices[0].Delta; d.Phase == "thinking_summary" {
			lists = append(lists, d.Extra.SummaryThought.Content)
		}
	}
	if len(lists) < 3 {
		t.Fatalf("%d summary events: %.600s", len(lists), b)
	}
	grew := false
	for i := 1; i < len(lists); i++ {
		prev, cur := lists[i-1], lists[i]
		if len(cur) < len(prev) {
			t.Fatalf("event %d has fewer paragraphs than the one before: %q then %q", i, prev, cur)
		}
		for j := range prev[:len(prev)-1] {
			if cur[j] != prev[j] {
				t.Fatalf("event %d rewrote paragraph %d: %q then %q", i, j, prev, cur)
			}
		}
		last := len(prev) - 1
		if !strings.HasPrefix(cur[last], prev[last]) {
			t.Fatalf("event %d does not extend paragraph %d: %q then %q", i, last, prev[last], cur[last])
		}
		grew = grew || len(cur) == len(prev) && len(cur[last]) > len(prev[last])
	}
	if !grew {
		t.Fatalf("no paragraph grew in place: %q", lists)
	}
	if whole := strings.Join(lists[len(lists)-1], " "); !strings.HasPrefix(whole, "Considering the request: think about tea") {
		t.Fatalf("the summary is %q", whole)
	}
}
