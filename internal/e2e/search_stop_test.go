package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// searchAnswer is what a client made of a searching answer, streamed or
// not, in any client API: its text, its citations' spans (Chat Completions
// only) and how it ended.
type searchAnswer struct {
	text         string
	spans        [][2]int
	finish       string // finish_reason, or Anthropic's stop_reason
	stopSequence string // Anthropic's stop_sequence
}

// chatAnswer reads a Chat Completions (or legacy completions) answer, one
// body or chunks.
func chatAnswer(t *testing.T, resp *http.Response, stream bool) searchAnswer {
	t.Helper()
	type choice struct {
		Text    string
		Message struct {
			Content     string
			Annotations []struct {
				URLCitation struct {
					StartIndex int `json:"start_index"`
					EndIndex   int `json:"end_index"`
				} `json:"url_citation"`
			}
		}
		Delta struct {
			Content     string
			Annotations []struct {
				URLCitation struct {
					StartIndex int `json:"start_index"`
					EndIndex   int `json:"end_index"`
				} `json:"url_citation"`
			}
		}
		FinishReason string `json:"finish_reason"`
	}
	var a searchAnswer
	take := func(data string) {
		var v struct{ Choices []choice }
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatalf("%v: %s", err, data)
		}
		for _, c := range v.Choices {
			a.text += c.Text + c.Message.Content + c.Delta.Content
			for _, an := range append(c.Message.Annotations, c.Delta.Annotations...) {
				a.spans = append(a.spans, [2]int{an.URLCitation.StartIndex, an.URLCitation.EndIndex})
			}
			if c.FinishReason != "" {
				a.finish = c.FinishReason
			}
		}
	}
	eachAnswerData(t, resp, stream, take)
	return a
}

// eachAnswerData hands take an answer's JSON: its body, or each event's
// data of its stream (but OpenAI's closing [DONE]).
func eachAnswerData(t *testing.T, resp *http.Response, stream bool, take func(data string)) {
	t.Helper()
	if !stream {
		take(readBody(t, resp))
		return
	}
	for _, data := range sseData(t, resp) {
		if data != "[DONE]" {
			take(data)
		}
	}
}

// messagesAnswer reads an Anthropic Messages answer, one body or events.
func messagesAnswer(t *testing.T, resp *http.Response, stream bool) searchAnswer {
	t.Helper()
	var a searchAnswer
	if !stream {
		var v struct {
			Content      []struct{ Type, Text string }
			StopReason   string `json:"stop_reason"`
			StopSequence string `json:"stop_sequence"`
		}
		if b := readBody(t, resp); json.Unmarshal([]byte(b), &v) != nil {
			t.Fatalf("not a message: %s", b)
		}
		for _, c := range v.Content {
			a.text += c.Text
		}
		a.finish, a.stopSequence = v.StopReason, v.StopSequence
		return a
	}
	for _, data := range sseData(t, resp) {
		var ev struct {
			Type  string
			Delta struct {
				Type, Text   string
				StopReason   string `json:"stop_reason"`
				StopSequence string `json:"stop_sequence"`
			}
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("%v: %s", err, data)
		}
		switch ev.Type {
		case "content_block_delta":
			a.text += ev.Delta.Text
		case "message_delta":
			a.finish, a.stopSequence = ev.Delta.StopReason, ev.Delta.StopSequence
		}
	}
	return a
}

// sseData is the data of a stream's events, in order.
func sseData(t *testing.T, resp *http.Response) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, data)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A stop sequence ends a searching answer, in every client API that takes
// one, streamed or not: the source list the proxy appends (SEARCH_SOURCES
// append) does not follow the stop — nor does a list that would itself put
// a stop sequence in the text — and the sources stay as citations (empty
// spans at the text's end) where the API has them. The record keeps the
// answer the client got. The list was appended after the stop, putting the
// stop sequence back in the text ("what about \n\nSources:\n[1] [First
// result for what about Oslo]…"), while Anthropic's answer said
// stop_reason "stop_sequence".
func TestAStopSequenceEndsASearchingAnswerBeforeItsSources(t *testing.T) {
	e := start(t, nil)
	const question = "what about Oslo today"
	for _, c := range []struct {
		name string
		stop string // the stop sequence
		// stopped: the stop sequence is in the model's answer (it ends
		// there), not only in the source list.
		stopped bool
	}{
		{"the stop in the answer", "Oslo", true},
		{"the stop only in the list", "First result", false},
	} {
		stop, _ := json.Marshal(c.stop)
		for _, stream := range []bool{false, true} {
			streamed, _ := json.Marshal(stream)
			for _, api := range []struct{ path, body string }{
				{"/v1/chat/completions", `{"model":"qwen3-max-search","stop":[` + string(stop) + `],"messages":[{"role":"user","content":"` + question + `"}]}`},
				{"/v1/completions", `{"model":"qwen3-max-search","stop":[` + string(stop) + `],"prompt":"` + question + `"}`},
				{"/v1/messages", `{"model":"qwen3-max-search","max_tokens":100,"stop_sequences":[` + string(stop) + `],"messages":[{"role":"user","content":"` + question + `"}]}`},
			} {
				body := strings.Replace(api.body, `{"model"`, `{"stream":`+string(streamed)+`,"model"`, 1)
				what := c.name + ", " + api.path + ", stream " + string(streamed)
				resp := postJSON(t, e, api.path, body, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: %d %s", what, resp.StatusCode, readBody(t, resp))
				}
				var got searchAnswer
				if api.path == "/v1/messages" {
					got = messagesAnswer(t, resp, stream)
				} else {
					got = chatAnswer(t, resp, stream)
				}
				if strings.Contains(got.text, c.stop) || strings.Contains(got.text, "Sources:") || !strings.Contains(got.text, "You said") {
					t.Errorf("%s: text %q: want the answer alone, without %q or a source list", what, got.text, c.stop)
				}
				wantFinish, wantSeq := "stop", ""
				if api.path == "/v1/messages" {
					wantFinish = "end_turn"
					if c.stopped {
						wantFinish, wantSeq = "stop_sequence", c.stop
					}
				}
				if got.finish != wantFinish || got.stopSequence != wantSeq {
					t.Errorf("%s: ended %q %q, want %q %q", what, got.finish, got.stopSequence, wantFinish, wantSeq)
				}
				if api.path == "/v1/chat/completions" {
					end := utf8.RuneCountInString(got.text)
					if len(got.spans) != 2 {
						t.Errorf("%s: %d citations, want the 2 sources", what, len(got.spans))
					}
					for _, s := range got.spans {
						if s != [2]int{end, end} {
							t.Errorf("%s: citation %v, want an empty span at the text's end (%d)", what, s, end)
						}
					}
				}
				r := e.lastRow()
				if r.RequestID != resp.Header.Get("X-Request-Id") || !strings.Contains(r.QwenResponse.String, "First result for") {
					t.Fatalf("%s: record %s of Qwen's %s", what, r.RequestID, r.QwenResponse.String)
				}
				var recorded searchAnswer
				rec := &http.Response{Body: readCloser(r.OpenAIResponse.String)}
				if api.path == "/v1/messages" {
					recorded = messagesAnswer(t, rec, false)
				} else {
					recorded = chatAnswer(t, rec, false)
				}
				if recorded.text != got.text {
					t.Errorf("%s: recorded text %q, the client got %q", what, recorded.text, got.text)
				}
			}
		}
	}
}

// readCloser is s as a response body.
func readCloser(s string) *bodyString { return &bodyString{strings.NewReader(s)} }

type bodyString struct{ *strings.Reader }

func (bodyString) Close() error { return nil }
