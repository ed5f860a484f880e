package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// limitedAnswer is what a client made of an answer in any client API,
// streamed or not: its text and reasoning, how it ended (finish_reason,
// Anthropic's stop_reason, or the Responses API's status and
// incomplete_details.reason joined by a space) and the output tokens it
// was told of.
type limitedAnswer struct {
	text, reasoning, finish string
	outputTokens            int
	id                      string // a Responses answer's response id
}

// readLimitedAnswer reads a body or every event of a stream, whichever API
// it comes from: the fields that say the same thing have different names
// in each, and no two APIs share one.
func readLimitedAnswer(t *testing.T, resp *http.Response, stream bool) limitedAnswer {
	t.Helper()
	type usage struct {
		CompletionTokens int `json:"completion_tokens"`
		OutputTokens     int `json:"output_tokens"`
	}
	type response struct {
		ID                string
		Status            string
		IncompleteDetails *struct{ Reason string } `json:"incomplete_details"`
		Output            []struct {
			Type    string
			Content []struct{ Type, Text string }
		}
		Usage *usage
	}
	var a limitedAnswer
	take := func(data string) {
		var v struct {
			Type    string
			Choices []struct {
				Text    string
				Message struct {
					Content          string
					ReasoningContent string `json:"reasoning_content"`
				}
				Delta struct {
					Content          string
					ReasoningContent string `json:"reasoning_content"`
				}
				FinishReason string `json:"finish_reason"`
			}
			// Anthropic: a message, or its events.
			Content    []struct{ Type, Text, Thinking string }
			StopReason string `json:"stop_reason"`
			// An Anthropic event's delta is an object, a Responses
			// event's a string.
			Delta json.RawMessage
			// Responses: a response, or its events.
			response
			Response *response
			Usage    *usage
		}
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatalf("%v: %s", err, data)
		}
		for _, c := range v.Choices {
			a.text += c.Text + c.Message.Content + c.Delta.Content
			a.reasoning += c.Message.ReasoningContent + c.Delta.ReasoningContent
			if c.FinishReason != "" {
				a.finish = c.FinishReason
			}
		}
		for _, c := range v.Content {
			a.text += c.Text
			a.reasoning += c.Thinking
		}
		a.finish += v.StopReason
		var delta struct {
			Text, Thinking string
			StopReason     string `json:"stop_reason"`
		}
		var text string
		switch {
		case json.Unmarshal(v.Delta, &delta) == nil:
			a.text += delta.Text
			a.reasoning += delta.Thinking
			a.finish += delta.StopReason
		case json.Unmarshal(v.Delta, &text) == nil && v.Type == "response.output_text.delta":
			a.text += text
		}
		r := v.Response
		if r == nil && v.Status != "" {
			r = &v.response
			for _, item := range r.Output {
				for _, c := range item.Content {
					if item.Type == "message" {
						a.text += c.Text
					}
				}
			}
		}
		u := v.Usage
		if r != nil {
			a.id = r.ID
			if r.Status != "in_progress" {
				a.finish = r.Status
				if r.IncompleteDetails != nil {
					a.finish += " " + r.IncompleteDetails.Reason
				}
			}
			if r.Usage != nil {
				u = r.Usage
			}
		}
		if u != nil {
			a.outputTokens = u.CompletionTokens + u.OutputTokens
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, readBody(t, resp))
	}
	eachAnswerData(t, resp, stream, take)
	return a
}

// An answer ends where Qwen's count of output tokens reaches the client's
// limit, in every client API that takes one, streamed or not: the client
// gets the answer's first words, the API's "cut at the limit" ending and
// the count there as its usage; the record says the same, and keeps Qwen's
// whole answer as Qwen's. Before, max_tokens, max_completion_tokens and
// max_output_tokens were checked and ignored: the whole answer came back
// as a finished one.
func TestAnAnswerEndsAtTheClientsOutputLimit(t *testing.T) {
	e := startWith(t, qwensim.Options{AnswerWords: 30}, nil)
	for _, stream := range []bool{false, true} {
		streamed, _ := json.Marshal(stream)
		for i, api := range []struct {
			name, path, body, finish string
			limit                    int
		}{
			{"chat, max_completion_tokens", "/v1/chat/completions", `"max_completion_tokens":4,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"QUESTION"}]`, "length", 4},
			{"chat, max_tokens", "/v1/chat/completions", `"max_tokens":4,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"QUESTION"}]`, "length", 4},
			{"chat, both: max_completion_tokens wins", "/v1/chat/completions", `"max_tokens":1000,"max_completion_tokens":4.0,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"QUESTION"}]`, "length", 4},
			{"legacy completions", "/v1/completions", `"max_tokens":4,"stream_options":{"include_usage":true},"prompt":"QUESTION"`, "length", 4},
			{"messages", "/v1/messages", `"max_tokens":4,"messages":[{"role":"user","content":"QUESTION"}]`, "max_tokens", 4},
			// OpenAI's least max_output_tokens.
			{"responses", "/v1/responses", `"max_output_tokens":16,"input":"QUESTION"`, "incomplete max_output_tokens", 16},
		} {
			limit := api.limit
			question := "tell me about limit number " + string(rune('a'+i)) + " streamed " + string(streamed)
			text := strings.Replace(api.body, "QUESTION", question, 1)
			if !stream {
				// OpenAI takes stream_options only with stream on.
				text = strings.Replace(text, `"stream_options":{"include_usage":true},`, "", 1)
			}
			body := `{"model":"qwen3-max","stream":` + string(streamed) + `,` + text + `}`
			what := api.name + ", stream " + string(streamed)
			got := readLimitedAnswer(t, postJSON(t, e, api.path, body, nil), stream)
			words := strings.Fields(got.text)
			if len(words) != limit || !strings.HasPrefix(got.text, "You said") {
				t.Errorf("%s: text %q: want the answer's first %d words", what, got.text, limit)
			}
			if got.finish != api.finish {
				t.Errorf("%s: ended %q, want %q", what, got.finish, api.finish)
			}
			if got.outputTokens != limit {
				t.Errorf("%s: told of %d output tokens, want %d, the count at the cut", what, got.outputTokens, limit)
			}
			r := e.lastRow()
			if r.FinishReason != "length" || r.CompletionTokens != limit || r.Status != "success" {
				t.Errorf("%s: recorded %s %q with %d completion tokens, want success, length, %d", what, r.Status, r.FinishReason, r.CompletionTokens, limit)
			}
			// Qwen's own answer is recorded whole: far more than the limit.
			var qwen struct {
				Data struct {
					Choices []struct{ Message struct{ Content string } }
				}
			}
			if err := json.Unmarshal([]byte(r.QwenResponse.String), &qwen); err != nil || len(qwen.Data.Choices) != 1 ||
				len(strings.Fields(qwen.Data.Choices[0].Message.Content)) < 30 {
				t.Errorf("%s: Qwen's recorded answer %.200s: want the whole answer", what, r.QwenResponse.String)
			}
		}
	}
}

// A limit Qwen reaches while it thinks gives the thinking so far and no
// text, cut as any other answer: thinking counts against the limit, as
// OpenAI counts reasoning tokens and Anthropic thinking.
func TestALimitReachedWhileThinkingGivesTheThinkingAlone(t *testing.T) {
	e := startWith(t, qwensim.Options{AnswerWords: 30}, nil)
	for _, stream := range []bool{false, true} {
		streamed, _ := json.Marshal(stream)
		body := `{"model":"qwen3-max","stream":` + string(streamed) + `,"enable_thinking":true,"max_completion_tokens":2,"messages":[{"role":"user","content":"think first"}]}`
		got := readLimitedAnswer(t, postJSON(t, e, "/v1/chat/completions", body, nil), stream)
		if got.text != "" || got.reasoning == "" || got.finish != "length" {
			t.Errorf("stream %s: text %q, reasoning %q, ended %q: want the thinking so far alone, length", streamed, got.text, got.reasoning, got.finish)
		}
	}
}

// A conversation goes on from an answer cut at the limit: the client sends
// it back as it got it, and the turn continues the same session and Qwen
// chat rather than opening a new one.
func TestAConversationGoesOnFromAnAnswerCutAtTheLimit(t *testing.T) {
	e := startWith(t, qwensim.Options{AnswerWords: 30}, nil)
	first := readLimitedAnswer(t, postJSON(t, e, "/v1/chat/completions",
		`{"model":"qwen3-max","max_tokens":3,"messages":[{"role":"user","content":"first question"}]}`, nil), false)
	if first.finish != "length" {
		t.Fatalf("first turn ended %q, want length", first.finish)
	}
	opened := e.lastRow()
	history, _ := json.Marshal([]map[string]string{{"role": "user", "content": "first question"},
		{"role": "assistant", "content": first.text}, {"role": "user", "content": "second question"}})
	second := readLimitedAnswer(t, postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":`+string(history)+`}`, nil), false)
	if second.finish != "stop" {
		t.Errorf("second turn ended %q, want stop (no limit)", second.finish)
	}
	r := e.lastRow()
	if r.SessionID != opened.SessionID || r.ChatID != opened.ChatID {
		t.Errorf("second turn in session %s chat %s, want the first's %s %s", r.SessionID, r.ChatID, opened.SessionID, opened.ChatID)
	}
}
