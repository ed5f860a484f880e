package e2e

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// What a limit that falls inside something the answer holds back leaves of
// it — found by a new user's walk of the feature: a tool call, its markup,
// a prefill's repetition, a search's sources, a JSON format's prose. Each
// case failed before: the call's arguments were closed into invalid JSON
// ({"city":}), a Responses call so cut was "completed" (an agent runs it),
// the markup came out as text, the repetition the proxy drops came out, the
// source list followed the cut, the format's prose and fence stayed.
func TestALimitInsideWhatTheAnswerHoldsBack(t *testing.T) {
	e := startWith(t, qwensim.Options{AnswerWords: 30}, nil)
	const ask = `use get_weather with {\"city\": \"Oslo\"}`
	chatTools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	type chatAnswer struct {
		Choices []struct {
			Message struct {
				Content   string
				ToolCalls []struct {
					Function struct{ Name, Arguments string }
				} `json:"tool_calls"`
			}
			FinishReason string `json:"finish_reason"`
		}
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		}
	}
	chat := func(body string) chatAnswer {
		t.Helper()
		resp := postJSON(t, e, "/v1/chat/completions", body, nil)
		b := readBody(t, resp)
		var a chatAnswer
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(b), &a) != nil || len(a.Choices) != 1 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		return a
	}

	// Inside a call's arguments: the call as far as it came, not closed.
	a := chat(`{"model":"qwen3-max","max_tokens":7,` + chatTools + `,"messages":[{"role":"user","content":"` + ask + `"}]}`)
	if c := a.Choices[0]; c.FinishReason != "length" || len(c.Message.ToolCalls) != 1 || c.Message.ToolCalls[0].Function.Arguments != `{"city":` {
		t.Errorf("cut inside a call: %+v, want the call's arguments as they came, {\"city\":, and length", c)
	}
	// Before the call's name: its markup is not text.
	a = chat(`{"model":"qwen3-max","max_tokens":5,` + chatTools + `,"messages":[{"role":"user","content":"` + ask + `"}]}`)
	if c := a.Choices[0]; c.FinishReason != "length" || strings.Contains(c.Message.Content, "<tool_call>") || len(c.Message.ToolCalls) != 0 ||
		c.Message.Content != "Let me do that." {
		t.Errorf("cut before a call's name: %+v, want the text before it alone", c)
	}
	// Inside the model's repetition of a prefill, which the proxy drops.
	a = chat(`{"model":"qwen3-max","max_tokens":3,"messages":[{"role":"user","content":"Write a long line about prefill testing omega"},{"role":"assistant","content":"Once upon a time there was a small"}]}`)
	if c := a.Choices[0]; c.Message.Content != "" || c.FinishReason != "length" {
		t.Errorf("cut inside the prefill's repetition: %q %s, want nothing (the repetition is not the answer)", c.Message.Content, c.FinishReason)
	}
	// A searched answer: no source list after the cut.
	a = chat(`{"model":"qwen3-max-search","max_tokens":3,"messages":[{"role":"user","content":"search the latest news about cats"}]}`)
	if c := a.Choices[0]; c.Message.Content != `You said: "search` || c.FinishReason != "length" {
		t.Errorf("cut searched answer: %q %s, want its first 3 words alone", c.Message.Content, c.FinishReason)
	}
	// A JSON format: the JSON as far as it came, without the prose and fence.
	a = chat(`{"model":"qwen3-max","max_tokens":8,"response_format":{"type":"json_object"},"messages":[{"role":"user","content":"in JSON: reply {\"a\": 1, \"b\": [1,2,3]}"}]}`)
	if c := a.Choices[0]; c.Message.Content != `{"a": 1,` || c.FinishReason != "length" {
		t.Errorf("cut JSON answer: %q %s, want the JSON begun, {\"a\": 1,", c.Message.Content, c.FinishReason)
	}

	// The Responses API says a call cut so is incomplete, not a call to run
	// (its arguments long enough for its least limit, 16, to fall inside).
	const longAsk = `use get_weather with {\"city\": \"Oslo by the long fjord in the far north of the old kingdom\"}`
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","max_output_tokens":16,"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}],"input":"`+longAsk+`"}`, nil)
	var r struct {
		Status string
		Output []struct{ Type, Status, Arguments string }
	}
	if b := readBody(t, resp); json.Unmarshal([]byte(b), &r) != nil || r.Status != "incomplete" || len(r.Output) != 2 ||
		r.Output[1].Type != "function_call" || r.Output[1].Status != "incomplete" {
		t.Errorf("Responses, cut inside a call: %s, want the function_call item incomplete", b)
	}
	// Anthropic's stream sends the input as it came: no closing piece that
	// makes it invalid JSON (the SDK's stream helper threw on {"city":}).
	var partial string
	for _, data := range sseData(t, postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","stream":true,"max_tokens":7,"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],"messages":[{"role":"user","content":"`+ask+`"}]}`, nil)) {
		var ev struct {
			Delta struct {
				PartialJSON string `json:"partial_json"`
			}
		}
		_ = json.Unmarshal([]byte(data), &ev)
		partial += ev.Delta.PartialJSON
	}
	if partial != `{"city":` {
		t.Errorf("Anthropic stream, cut inside a call: input %q, want {\"city\": as it came", partial)
	}
}

// A Responses answer cut while Qwen thought has its reasoning and no
// message, streamed or not, as OpenAI gives it (the body had an empty
// message item, incomplete, that the stream did not).
func TestAResponseCutWhileThinkingHasNoMessage(t *testing.T) {
	e := startWith(t, qwensim.Options{AnswerWords: 30, ReasoningWords: 30}, nil)
	for _, stream := range []bool{false, true} {
		streamed, _ := json.Marshal(stream)
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","stream":`+string(streamed)+`,"reasoning":{"effort":"high","summary":"auto"},"max_output_tokens":16,"input":"think it over"}`, nil)
		a := readLimitedAnswer(t, resp, stream)
		status, got := getJSON(t, e, http.MethodGet, "/v1/responses/"+a.id)
		output, _ := got["output"].([]any)
		if status != http.StatusOK || got["status"] != "incomplete" || len(output) != 1 || output[0].(map[string]any)["type"] != "reasoning" {
			t.Errorf("stream %s: %d %v, want the reasoning item alone", streamed, status, got)
		}
	}
}

// With a stop sequence that ends the answer before the limit, the client is
// told the same usage as without a limit (it was told the count at the
// limit instead, 5 where the same answer without one said 11).
func TestAStopBeforeTheLimitEndsTheAnswerAsWithoutOne(t *testing.T) {
	e := startWith(t, qwensim.Options{AnswerWords: 30}, nil)
	var told []int
	for _, limit := range []string{"", `"max_tokens":8,`, `"max_tokens":100,`} {
		a := readLimitedAnswer(t, postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max",`+limit+`"stop":"tell","messages":[{"role":"user","content":"Hello there, tell me a story"}]}`, nil), false)
		if a.finish != "stop" || a.text != `You said: "Hello there, ` {
			t.Errorf("limit %q: %q %s, want the text before the stop, stop", limit, a.text, a.finish)
		}
		told = append(told, a.outputTokens)
	}
	if told[0] != told[1] || told[0] != told[2] {
		t.Errorf("told %v output tokens without a limit, with 8 and with 100: want the same", told)
	}
}

// Qwen failing after the answer reached the limit (an error, a cut stream)
// does not fail the answer the client has: it gets it, length. It was a 429
// or 502 (a stream's error event), the answer lost.
func TestAFailureAfterTheLimitKeepsTheAnswer(t *testing.T) {
	e := startWith(t, qwensim.Options{AnswerWords: 30}, nil)
	// An error in the stream rests the account (as it would without a
	// limit): it goes last.
	for _, c := range []struct {
		f      qwensim.Fault
		stream bool
	}{{qwensim.Fault{CutAfter: 5}, false}, {qwensim.Fault{CutAfter: 5}, true}, {qwensim.Fault{ErrorAfter: 5}, true}} {
		streamed, _ := json.Marshal(c.stream)
		e.sim.Inject(c.f)
		a := readLimitedAnswer(t, postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","stream":`+string(streamed)+`,"max_tokens":2,"messages":[{"role":"user","content":"fail me later"}]}`, nil), c.stream)
		if a.finish != "length" || len(strings.Fields(a.text)) != 2 {
			t.Errorf("%+v, stream %s: %q %q, want the first 2 words, length", c.f, streamed, a.text, a.finish)
		}
	}
}

// A corrective turn (a forced call the first answer did not make) has what
// the first turn left of the limit: the usage the client is told, both
// turns', stays within it.
func TestACorrectiveTurnHasWhatTheFirstLeftOfTheLimit(t *testing.T) {
	e := startWith(t, qwensim.Options{}, nil)
	body := `{"model":"qwen3-max","max_tokens":LIMIT,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"tool_choice":"required","messages":[{"role":"user","content":"hi there"}]}`
	// qwen3-max's most (max_generation_length), far beyond this answer.
	whole := readLimitedAnswer(t, postJSON(t, e, "/v1/chat/completions", strings.Replace(body, "LIMIT", "32768", 1), nil), false)
	if whole.finish != "tool_calls" {
		t.Fatalf("without a limit: %+v, want the corrected call", whole)
	}
	limit := whole.outputTokens - 2 // the second turn is cut
	a := readLimitedAnswer(t, postJSON(t, e, "/v1/chat/completions", strings.Replace(body, "LIMIT", strconv.Itoa(limit), 1), nil), false)
	if a.finish != "length" || a.outputTokens > limit+1 {
		t.Errorf("limit %d (the whole call takes %d): ended %s, told %d, want length and at most %d", limit, whole.outputTokens, a.finish, a.outputTokens, limit+1)
	}
}

// An answer that reaches the limit with its last words is whole: it ends
// as it would without one (it was "length", and a format's JSON unchecked).
func TestAnAnswerEndingAtItsLimitIsWhole(t *testing.T) {
	e := startWith(t, qwensim.Options{}, nil)
	body := `{"model":"qwen3-max",LIMIT"messages":[{"role":"user","content":"Hello there, tell me a story about a cat"}]}`
	whole := readLimitedAnswer(t, postJSON(t, e, "/v1/chat/completions", strings.Replace(body, "LIMIT", "", 1), nil), false)
	n := whole.outputTokens
	for _, c := range []struct {
		limit  int
		finish string
	}{{n, "stop"}, {n + 1, "stop"}, {n - 1, "length"}} {
		a := readLimitedAnswer(t, postJSON(t, e, "/v1/chat/completions", strings.Replace(body, "LIMIT", `"max_tokens":`+strconv.Itoa(c.limit)+`,`, 1), nil), false)
		if a.finish != c.finish || c.finish == "stop" && a.text != whole.text {
			t.Errorf("limit %d of an answer of %d tokens: %q %s, want %s", c.limit, n, a.text, a.finish, c.finish)
		}
	}
}
