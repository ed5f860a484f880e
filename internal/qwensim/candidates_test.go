package qwensim

import (
	"encoding/json"
	"strings"
	"testing"
)

// candidateEvents splits a stream's choices events by their response_id:
// each candidate's phases in order (once each) and its web search results
// and image_gen contents.
type candidateEvents struct {
	phases  []string
	sources []string // the search results' URLs
	images  []string
}

func byCandidate(t *testing.T, stream string) map[string]*candidateEvents {
	t.Helper()
	out := map[string]*candidateEvents{}
	for _, line := range strings.Split(stream, "\n") {
		var ev struct {
			Choices []struct {
				Delta struct {
					Phase   string `json:"phase"`
					Content string `json:"content"`
					Extra   struct {
						WebSearchInfo []struct {
							URL string `json:"url"`
						} `json:"web_search_info"`
					} `json:"extra"`
				} `json:"delta"`
			} `json:"choices"`
			ResponseID string `json:"response_id"`
		}
		if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev) != nil || len(ev.Choices) == 0 {
			continue
		}
		c := out[ev.ResponseID]
		if c == nil {
			c = &candidateEvents{}
			out[ev.ResponseID] = c
		}
		d := ev.Choices[0].Delta
		if n := len(c.phases); n == 0 || c.phases[n-1] != d.Phase {
			c.phases = append(c.phases, d.Phase)
		}
		for _, r := range d.Extra.WebSearchInfo {
			c.sources = append(c.sources, r.URL)
		}
		if d.Phase == "image_gen" && d.Content != "" {
			c.images = append(c.images, d.Content)
		}
	}
	return out
}

// Interleaved candidates (qwen-2026.md §3.1) are each a whole answer of the
// turn's kind: each thinks when thinking is on, searches in a search chat,
// and draws in a t2i chat, as the stream of one answer does — pages and a
// picture of its own, so that a client mixing the two shows. They were
// bare answer text whatever the turn asked: no thinking, no search
// results, and for an image an empty answer beside "Another candidate: ",
// so the proxy's reading of candidates was never tried on what such turns
// stream (it answered that text for an image).
func TestInterleavedCandidatesAreWholeAnswers(t *testing.T) {
	srv, err := Start(Options{Interleave: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ask := func(chatType string, thinking bool) map[string]*candidateEvents {
		t.Helper()
		chatID := newChat2026(t, srv, nil, "normal")
		body := completion(chatID, "normal", "qwen3-max", thinking, "the weather in Oslo")
		body = strings.Replace(body, `"feature_config":{`, `"chat_type":"`+chatType+`","feature_config":{"output_schema":"phase",`, 1)
		_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
		got := byCandidate(t, b)
		if len(got) != 2 {
			t.Fatalf("%s: %d candidates in %.800s", chatType, len(got), b)
		}
		return got
	}
	pages := map[string]bool{}
	for id, c := range ask("search", true) {
		if strings.Join(c.phases, ",") != "think,web_search,answer" || len(c.sources) != 2 {
			t.Errorf("search candidate %s: phases %v, sources %v", id, c.phases, c.sources)
		}
		for _, u := range c.sources {
			pages[u] = true
		}
	}
	if len(pages) != 4 {
		t.Errorf("the candidates found %d distinct pages, want 2 each: %v", len(pages), pages)
	}
	images := map[string]bool{}
	for id, c := range ask("t2i", false) {
		if strings.Join(c.phases, ",") != "image_gen" || len(c.images) != 1 || !strings.HasPrefix(c.images[0], "http://") {
			t.Errorf("image candidate %s: phases %v, images %v", id, c.phases, c.images)
			continue
		}
		images[c.images[0]] = true
	}
	if len(images) != 2 {
		t.Errorf("the candidates drew %d distinct images, want 2: %v", len(images), images)
	}
}
