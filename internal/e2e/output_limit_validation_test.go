package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// refusal is what a client was told of a 400: its envelope's message, and
// OpenAI's param and code (null in Anthropic's envelope, which has none).
type refusal struct {
	status               int
	message, param, code string
}

func refusalOf(t *testing.T, resp *http.Response) refusal {
	t.Helper()
	if resp.StatusCode == http.StatusOK {
		readBody(t, resp)
		return refusal{status: http.StatusOK}
	}
	env := decodeEnvelope(t, resp)
	r := refusal{status: resp.StatusCode, message: env.Error.Message}
	if env.Error.Param != nil {
		r.param = *env.Error.Param
	}
	if env.Error.Code != nil {
		r.code = *env.Error.Code
	}
	return r
}

// An integer field takes any JSON number without a fraction — 4.0, 1e3 —
// in every client API, as Chat Completions always took it: the Messages
// and Responses APIs refused max_tokens, max_output_tokens, top_k and
// thinking.budget_tokens written so ("must be an integer, not 4.0"), where
// Chat Completions cut the answer at 4. A fraction is refused in each, in
// its own envelope.
func TestEveryAPITakesAnIntegralNumberForAnInteger(t *testing.T) {
	e := startWith(t, qwensim.Options{AnswerWords: 30}, nil)
	user := `"messages":[{"role":"user","content":"tell me about integral limits"}]`
	for _, c := range []struct {
		name, path, body, finish string
		limit                    int
	}{
		{"chat", "/v1/chat/completions", `"max_completion_tokens":4.0,` + user, "length", 4},
		{"legacy completions", "/v1/completions", `"max_tokens":4e0,"prompt":"tell me about integral limits"`, "length", 4},
		{"messages", "/v1/messages", `"max_tokens":4.0,"top_k":5.0,` + user, "max_tokens", 4},
		{"messages, thinking", "/v1/messages", `"max_tokens":2e3,"thinking":{"type":"enabled","budget_tokens":1024.0},` + user, "end_turn", 0},
		{"responses", "/v1/responses", `"max_output_tokens":16.0,"input":"tell me about integral limits"`, "incomplete max_output_tokens", 16},
	} {
		a := readLimitedAnswer(t, postJSON(t, e, c.path, `{"model":"qwen3-max",`+c.body+`}`, nil), false)
		if a.finish != c.finish || c.limit > 0 && a.outputTokens != c.limit {
			t.Errorf("%s: ended %q with %d output tokens, want %q at %d", c.name, a.finish, a.outputTokens, c.finish, c.limit)
		}
	}
	// The Responses API echoes its integers as integers, as OpenAI does (an
	// SDK reading an int64 refuses 3.0): max_tool_calls and top_logprobs
	// were echoed as sent.
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","max_output_tokens":1e3,"max_tool_calls":3.0,"top_logprobs":0.0,"input":"hi"}`, nil)
	var echo struct {
		MaxOutputTokens json.RawMessage `json:"max_output_tokens"`
		MaxToolCalls    json.RawMessage `json:"max_tool_calls"`
		TopLogprobs     json.RawMessage `json:"top_logprobs"`
	}
	if b := readBody(t, resp); resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(b), &echo) != nil ||
		string(echo.MaxOutputTokens) != "1000" || string(echo.MaxToolCalls) != "3" || string(echo.TopLogprobs) != "0" {
		t.Errorf("%d, echoed max_output_tokens %s, max_tool_calls %s, top_logprobs %s: want 1000, 3, 0", resp.StatusCode, echo.MaxOutputTokens, echo.MaxToolCalls, echo.TopLogprobs)
	}
	for _, c := range []struct{ path, body, want string }{
		{"/v1/chat/completions", `"max_completion_tokens":4.5,` + user, "max_completion_tokens must be an integer, not 4.5"},
		{"/v1/messages", `"max_tokens":4.5,` + user, "max_tokens: must be an integer, not 4.5"},
		{"/v1/messages", `"max_tokens":64,"top_k":2.5,` + user, "top_k: must be an integer, not 2.5"},
		{"/v1/messages", `"max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":2048.5},` + user, "thinking.enabled.budget_tokens: must be an integer, not 2048.5"},
		{"/v1/responses", `"max_output_tokens":16.5,"input":"hi"`, "max_output_tokens must be an integer, not 16.5"},
	} {
		if r := refusalOf(t, postJSON(t, e, c.path, `{"model":"qwen3-max",`+c.body+`}`, nil)); r.status != http.StatusBadRequest || r.message != c.want {
			t.Errorf("%s %s: %+v, want 400 %q", c.path, c.body, r, c.want)
		}
	}
}

// max_output_tokens below 16 is OpenAI's 400 integer_below_min_value, in
// its words, on /v1/responses and on input_tokens, which holds a request to
// what /v1/responses holds it to; it was taken (1 and up).
func TestResponsesRefuseAnOutputLimitBelowSixteen(t *testing.T) {
	e := start(t, nil)
	for _, path := range []string{"/v1/responses", "/v1/responses/input_tokens"} {
		for n, want := range map[string]string{
			"15":   "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 15 instead.",
			"0":    "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 0 instead.",
			"-1e1": "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got -10 instead.",
			"16":   "",
		} {
			r := refusalOf(t, postJSON(t, e, path, `{"model":"qwen3-max","max_output_tokens":`+n+`,"input":"hi"}`, nil))
			switch {
			case want == "" && r.status != http.StatusOK:
				t.Errorf("%s, %s: %+v, want it taken", path, n, r)
			case want != "" && (r.status != http.StatusBadRequest || r.message != want || r.param != "max_output_tokens" || r.code != "integer_below_min_value"):
				t.Errorf("%s, %s: %+v, want 400 integer_below_min_value %q", path, n, r, want)
			}
		}
	}
}

// thinking.budget_tokens is held to Anthropic's rules, in its words: at
// least 1024, and below max_tokens unless the request asks for
// interleaved thinking (anthropic-beta interleaved-thinking-2025-05-14,
// where the budget spans the turn's thinking blocks and may exceed it).
// Any budget of 1 and up was taken. count_tokens, which takes no
// max_tokens, holds the budget to its minimum, and to max_tokens when one
// is sent, as /v1/messages would.
func TestThinkingBudgetIsHeldToAnthropicsRules(t *testing.T) {
	e := start(t, nil)
	const below = "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
	const over = "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
	interleaved := map[string]string{"anthropic-beta": "fine-grained-tool-streaming-2025-05-14,interleaved-thinking-2025-05-14"}
	body := func(limit, budget string) string {
		return `{"model":"qwen3-max",` + limit + `"thinking":{"type":"enabled","budget_tokens":` + budget + `},"messages":[{"role":"user","content":"hi"}]}`
	}
	for _, c := range []struct {
		path, body string
		header     map[string]string
		want       string
	}{
		{"/v1/messages", body(`"max_tokens":4096,`, "1023"), nil, below},
		{"/v1/messages", body(`"max_tokens":4096,`, "1"), nil, below},
		{"/v1/messages", body(`"max_tokens":2048,`, "2048"), nil, over},
		{"/v1/messages", body(`"max_tokens":1000,`, "4096"), nil, over},
		{"/v1/messages", body(`"max_tokens":1025,`, "1024"), nil, ""},
		{"/v1/messages", body(`"max_tokens":2048,`, "4096"), interleaved, ""},
		{"/v1/messages", body(`"max_tokens":2048,`, "1000"), interleaved, below},
		{"/v1/messages/count_tokens", body(``, "1023"), nil, below},
		{"/v1/messages/count_tokens", body(``, "4096"), nil, ""},
		{"/v1/messages/count_tokens", body(`"max_tokens":2048,`, "4096"), nil, over},
		// Every error of the field names it as Anthropic does, by the
		// thinking's type (a missing budget was "thinking.budget_tokens:
		// Field required when thinking is enabled").
		{"/v1/messages", `{"model":"qwen3-max","max_tokens":2048,"thinking":{"type":"enabled"},"messages":[{"role":"user","content":"hi"}]}`, nil,
			"thinking.enabled.budget_tokens: Field required"},
		{"/v1/messages", body(`"max_tokens":2048,`, `"1024"`), nil, "thinking.enabled.budget_tokens: must be an integer, not a string"},
	} {
		r := refusalOf(t, postJSON(t, e, c.path, c.body, c.header))
		switch {
		case c.want == "" && r.status != http.StatusOK:
			t.Errorf("%s %s %v: %+v, want it taken", c.path, c.body, c.header, r)
		case c.want != "" && (r.status != http.StatusBadRequest || r.message != c.want):
			t.Errorf("%s %s %v: %+v, want 400 %q", c.path, c.body, c.header, r, c.want)
		}
	}
}

// count_tokens takes no max_tokens (Anthropic's refuses one: "Extra inputs
// are not permitted"); clients send it the body they send /v1/messages, so
// one sent is held to what /v1/messages holds it to, and counts nothing.
// max_tokens 0 was counted; /v1/messages refuses it.
func TestCountTokensHoldsMaxTokensAsMessagesDoes(t *testing.T) {
	e := start(t, nil)
	user := `"messages":[{"role":"user","content":"hi"}]`
	count := func(limit string) (refusal, int) {
		t.Helper()
		resp := postJSON(t, e, "/v1/messages/count_tokens", `{"model":"qwen3-max",`+limit+user+`}`, nil)
		if resp.StatusCode != http.StatusOK {
			return refusalOf(t, resp), 0
		}
		var got struct {
			InputTokens int `json:"input_tokens"`
		}
		if b := readBody(t, resp); json.Unmarshal([]byte(b), &got) != nil {
			t.Fatalf("%s", b)
		}
		return refusal{status: http.StatusOK}, got.InputTokens
	}
	_, without := count("")
	for limit, want := range map[string]string{
		`"max_tokens":0,`:   "max_tokens: must be at least 1, not 0",
		`"max_tokens":-5,`:  "max_tokens: must be at least 1, not -5",
		`"max_tokens":1.5,`: "max_tokens: must be an integer, not 1.5",
		`"max_tokens":"a",`: "max_tokens: must be an integer, not a string",
		`"max_tokens":1e3,`: "",
		`"max_tokens":64,`:  "",
	} {
		r, n := count(limit)
		switch {
		case want == "" && (r.status != http.StatusOK || n != without):
			t.Errorf("%s: %+v, %d tokens, want it counted as without it (%d)", limit, r, n, without)
		case want != "" && (r.status != http.StatusBadRequest || r.message != want):
			t.Errorf("%s: %+v, want 400 %q", limit, r, want)
		}
		if want != "" {
			messages := refusalOf(t, postJSON(t, e, "/v1/messages", `{"model":"qwen3-max",`+limit+user+`}`, nil))
			if messages.message != want || !strings.HasPrefix(want, "max_tokens: ") {
				t.Errorf("%s: /v1/messages said %+v, want the same %q", limit, messages, want)
			}
		}
	}
}

// The web search tool's settings are refused in Anthropic's words, the
// field's path and a colon first, as every other Messages field is: they
// came in the Chat Completions front-end's ("tools.0.max_uses must be …").
func TestSearchToolSettingsAreRefusedInAnthropicsWords(t *testing.T) {
	e := start(t, nil)
	tool := func(setting string) string {
		return `{"model":"qwen3-max","max_tokens":100,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"web_search_20250305","name":"web_search",` + setting + `}]}`
	}
	for setting, want := range map[string]string{
		`"max_uses":1.5`:      "tools.0.max_uses: must be an integer, not 1.5",
		`"max_uses":0`:        "tools.0.max_uses: must be between 1 and 2147483647, not 0",
		`"allowed_domains":5`: "tools.0.allowed_domains: must be an array of strings, not 5",
	} {
		for _, path := range []string{"/v1/messages", "/v1/messages/count_tokens"} {
			r := refusalOf(t, postJSON(t, e, path, tool(setting), nil))
			if r.status != http.StatusBadRequest || r.message != want {
				t.Errorf("%s %s: %+v, want 400 %q", path, setting, r, want)
			}
		}
	}
}

// An output limit above the most output tokens Qwen's model list gives the
// model (max_generation_length: qwen3-max's 32768, qwen3-coder-plus's
// 65536) is refused as the real API refuses it, in its words: OpenAI's
// "max_tokens is too large: …" (param the field, code null) in both
// OpenAI APIs, Anthropic's "max_tokens: N > M, which is the maximum
// allowed number of output tokens for …" (count_tokens holds one sent to
// the same). It was taken, the client believing the model could write it.
// A thinking model's entry gives its thinking's bound alone
// (max_thinking_generation_length), which bounds nothing here; a limit sent
// with another vendor's model name is that model's, not refused.
func TestAnOutputLimitAboveTheModelsMostIsRefused(t *testing.T) {
	e := start(t, nil)
	user := `"messages":[{"role":"user","content":"hi"}]`
	const openAI = "%s is too large: %s. This model supports at most %d completion tokens, whereas you provided %s."
	for _, c := range []struct {
		path, body, param, want, kind string
	}{
		{"/v1/chat/completions", `"model":"qwen3-max","max_completion_tokens":32769,` + user, "max_completion_tokens",
			fmt.Sprintf(openAI, "max_completion_tokens", "32769", 32768, "32769"), "invalid_request_error"},
		{"/v1/chat/completions", `"model":"qwen3-max","max_tokens":4e4,` + user, "max_tokens",
			fmt.Sprintf(openAI, "max_tokens", "40000", 32768, "40000"), "invalid_request_error"},
		{"/v1/chat/completions", `"model":"qwen3-max","max_completion_tokens":9e18,` + user, "max_completion_tokens",
			fmt.Sprintf(openAI, "max_completion_tokens", "9e18", 32768, "9e18"), "invalid_request_error"},
		{"/v1/chat/completions", `"model":"qwen3-coder-plus","max_tokens":65537,` + user, "max_tokens",
			fmt.Sprintf(openAI, "max_tokens", "65537", 65536, "65537"), "invalid_request_error"},
		{"/v1/completions", `"model":"qwen3-max","max_tokens":100000,"prompt":"hi"`, "max_tokens",
			fmt.Sprintf(openAI, "max_tokens", "100000", 32768, "100000"), "invalid_request_error"},
		{"/v1/responses", `"model":"qwen3-max","max_output_tokens":65536,"input":"hi"`, "max_output_tokens",
			fmt.Sprintf(openAI, "max_output_tokens", "65536", 32768, "65536"), "invalid_request_error"},
		{"/v1/messages", `"model":"qwen3-max","max_tokens":64000,` + user, "",
			"max_tokens: 64000 > 32768, which is the maximum allowed number of output tokens for qwen3-max", "invalid_request_error"},
		{"/v1/messages/count_tokens", `"model":"qwen3-max","max_tokens":64000,` + user, "",
			"max_tokens: 64000 > 32768, which is the maximum allowed number of output tokens for qwen3-max", "invalid_request_error"},
		// At the most, on a thinking model, or with another vendor's model
		// name (Claude Code sends its model's 32000 to 64000), it is taken;
		// so is a max_tokens beside a max_completion_tokens, which is the
		// limit (it was refused for the field not taken).
		{"/v1/chat/completions", `"model":"qwen3-max","max_tokens":40000,"max_completion_tokens":100,` + user, "", "", ""},
		{"/v1/messages", `"model":"claude-sonnet-4-5","max_tokens":64000,` + user, "", "", ""},
		{"/v1/chat/completions", `"model":"gpt-5","max_completion_tokens":128000,` + user, "", "", ""},
		{"/v1/chat/completions", `"model":"qwen3-max","max_completion_tokens":32768,` + user, "", "", ""},
		{"/v1/chat/completions", `"model":"qwen3-coder-plus","max_tokens":65536,` + user, "", "", ""},
		{"/v1/messages", `"model":"qwen3-max","max_tokens":32768,` + user, "", "", ""},
		{"/v1/responses", `"model":"qwen3-max","max_output_tokens":32768,"input":"hi"`, "", "", ""},
		{"/v1/messages/count_tokens", `"model":"qwen3-vl-plus","max_tokens":100000,` + user, "", "", ""},
	} {
		resp := postJSON(t, e, c.path, `{`+c.body+`}`, nil)
		if c.want == "" {
			if r := refusalOf(t, resp); r.status != http.StatusOK {
				t.Errorf("%s %s: %+v, want it taken", c.path, c.body, r)
			}
			continue
		}
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %s: %d %s, want 400 %q", c.path, c.body, resp.StatusCode, readBody(t, resp), c.want)
			continue
		}
		env := decodeEnvelope(t, resp)
		var param, code string
		if env.Error.Param != nil {
			param = *env.Error.Param
		}
		if env.Error.Code != nil {
			code = *env.Error.Code
		}
		if env.Error.Message != c.want || env.Error.Type != c.kind || param != c.param || code != "" {
			t.Errorf("%s %s: %+v (param %q, code %q), want %s %q param %q, code null", c.path, c.body, env.Error, param, code, c.kind, c.want, c.param)
		}
	}
}

// An error on an OpenAI route goes to a client that sends anthropic-version
// in Anthropic's envelope, whichever check refuses the call, as the README
// says of every route: the output limit's, a model's, the Responses API's
// came in OpenAI's, where a field's check already came in Anthropic's.
func TestEveryRefusalOfAnOpenAIRouteSpeaksAnthropicToAnAnthropicClient(t *testing.T) {
	e := start(t, nil)
	anthropic := map[string]string{"anthropic-version": "2023-06-01"}
	user := `"messages":[{"role":"user","content":"hi"}]`
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"qwen3-max","max_tokens":40000,` + user + `}`},
		{"/v1/chat/completions", `{"model":"no-such-model",` + user + `}`},
		{"/v1/completions", `{"model":"qwen3-max","max_tokens":40000,"prompt":"hi"}`},
		{"/v1/responses", `{"model":"qwen3-max","max_output_tokens":40000,"input":"hi"}`},
		{"/v1/responses", `{"model":"no-such-model","input":"hi"}`},
		{"/v1/chat/completions", `{"model":"qwen3-max","temperature":5,` + user + `}`}, // already so
	} {
		resp := postJSON(t, e, c.path, c.body, anthropic)
		b := readBody(t, resp)
		var env struct {
			Type  string `json:"type"`
			Error struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if resp.StatusCode < 400 || json.Unmarshal([]byte(b), &env) != nil || env.Type != "error" || env.Error.Type == "" || env.Error.Message == "" {
			t.Errorf("%s %s: %d %s, want an error in Anthropic's envelope", c.path, c.body, resp.StatusCode, b)
		}
	}
}
