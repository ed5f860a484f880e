package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// anthropicError is Anthropic's error envelope.
type anthropicError struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeAnthropicError(t *testing.T, resp *http.Response) anthropicError {
	t.Helper()
	var env anthropicError
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &env); err != nil || env.Type != "error" || env.Error.Type == "" || env.Error.Message == "" {
		t.Fatalf("%d: not an Anthropic error envelope: %s", resp.StatusCode, b)
	}
	return env
}

// TestMessagesAreRecordedLikeChats: a Messages call is one request row and
// one response row under path /v1/messages, with both bodies, in the same
// session machinery (the resent history finds its Qwen chat again).
func TestMessagesAreRecordedLikeChats(t *testing.T) {
	e := start(t, nil)
	first := `{"model":"claude-x","max_tokens":64,"system":"Be brief.","messages":[{"role":"user","content":"first words"}]}`
	resp := postJSON(t, e, "/v1/messages?beta=true", first, nil)
	var msg struct {
		Content []struct{ Text string } `json:"content"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &msg) != nil || len(msg.Content) != 1 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	answer, _ := json.Marshal(msg.Content[0].Text)
	second := `{"model":"claude-x","max_tokens":64,"stream":true,"system":"Be brief.","messages":[{"role":"user","content":"first words"},
		{"role":"assistant","content":[{"type":"text","text":` + string(answer) + `}]},{"role":"user","content":[{"type":"text","text":"second words"}]}]}`
	resp = postJSON(t, e, "/v1/messages", second, nil)
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "event: message_stop") {
		t.Fatalf("second turn: %s", b)
	}
	rows := e.rows()
	if len(rows) != 2 {
		t.Fatalf("%d calls recorded", len(rows))
	}
	for i, r := range rows {
		if r.Path != "/v1/messages" || r.Responses != 1 || r.Status != "success" || r.Model != "claude-x" || r.SessionID != rows[0].SessionID ||
			!r.OpenAIRequest.Valid || !r.QwenRequest.Valid || !strings.Contains(r.OpenAIResponse.String, `"type":"message"`) || !r.QwenResponse.Valid {
			t.Fatalf("call %d recorded as %+v", i, r)
		}
	}
	if rows[1].ChatID != rows[0].ChatID || !rows[1].Stream || strings.Contains(rows[1].QwenRequest.String, "first words") {
		t.Fatalf("the second turn has its own chat: %+v", rows[1])
	}
	// The streamed answer's record is the message its events add up to.
	if !strings.Contains(rows[1].OpenAIResponse.String, `"stop_reason":"end_turn"`) {
		t.Fatalf("streamed record %s", rows[1].OpenAIResponse.String)
	}
}

// TestMessagesSystemNoteIsToldWithItsTurn: Claude Code adds a system message
// to a later turn ("Note: FILE changed on disk since you last read it")
// whenever a file it read changes. The note is the system's word in that
// turn: the chat is not told its whole system prompt and tools again.
func TestMessagesSystemNoteIsToldWithItsTurn(t *testing.T) {
	e := start(t, nil)
	const head = `{"model":"claude-x","max_tokens":64,"system":"You are a coding agent.",
		"tools":[{"name":"Bash","input_schema":{"type":"object","properties":{"command":{"type":"string"}}}}],"messages":[
		{"role":"user","content":"use Bash with {\"command\":\"ls\"}"},{"role":"system","content":"# Environment\nlinux"}`
	resp := postJSON(t, e, "/v1/messages", head+`]}`, nil)
	var msg struct {
		Content json.RawMessage `json:"content"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &msg) != nil || !strings.Contains(string(msg.Content), `"tool_use"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var blocks []struct{ Type, ID string }
	if err := json.Unmarshal(msg.Content, &blocks); err != nil {
		t.Fatal(err)
	}
	id := blocks[len(blocks)-1].ID
	resp = postJSON(t, e, "/v1/messages", head+`,{"role":"assistant","content":`+string(msg.Content)+`},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"`+id+`","content":"a.txt"}]},
		{"role":"system","content":"Note: a.txt changed on disk since you last read it."}]}`, nil)
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Thanks: Bash said") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	up := upstreamCompletions(t, e.sim)
	sent := messagesOf(up[len(up)-1])[0]["content"].(string)
	if !strings.HasPrefix(sent, "Result of Bash (") || !strings.HasSuffix(sent, "a.txt\n\nSystem: Note: a.txt changed on disk since you last read it.") {
		t.Fatalf("upstream message %q", sent)
	}
	if rows := e.rows(); len(rows) != 2 || rows[1].ChatID != rows[0].ChatID {
		t.Fatalf("rows %+v", rows)
	}
}

// TestMessagesErrorsUseAnthropicsEnvelope: every error on the Messages routes
// — the handler's, the router's and the key guard's — is Anthropic-shaped,
// and x-api-key is accepted as the proxy key.
func TestMessagesErrorsUseAnthropicsEnvelope(t *testing.T) {
	const key = "sk-proxy-anthropic"
	e := start(t, func(c *config.Config) { c.APIKeys, c.MaxBodyBytes = []string{key}, 4096 })
	auth := map[string]string{"x-api-key": key, "anthropic-version": "2023-06-01"}
	valid := `{"model":"claude-x","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`
	cases := []struct {
		name, method, path, contentType, body string
		header                                map[string]string
		status                                int
		errType                               string
	}{
		{"no key", "POST", "/v1/messages", "application/json", valid, nil, 401, "authentication_error"},
		{"wrong key", "POST", "/v1/messages", "application/json", valid, map[string]string{"x-api-key": "nope"}, 401, "authentication_error"},
		{"unknown route", "POST", "/v1/messages/nope", "application/json", valid, auth, 404, "not_found_error"},
		{"wrong method", "GET", "/v1/messages", "", "", auth, 405, "invalid_request_error"},
		{"too large", "POST", "/v1/messages", "application/json", `{"x":"` + strings.Repeat("a", 5000) + `"}`, auth, 413, "request_too_large"},
		{"not JSON", "POST", "/v1/messages", "text/plain", valid, auth, 415, "invalid_request_error"},
		{"no max_tokens", "POST", "/v1/messages", "application/json", `{"model":"claude-x","messages":[{"role":"user","content":"hi"}]}`, auth, 400, "invalid_request_error"},
		{"max_tokens 0", "POST", "/v1/messages", "application/json", `{"model":"claude-x","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "invalid_request_error"},
		{"bad role", "POST", "/v1/messages", "application/json", `{"model":"claude-x","max_tokens":5,"messages":[{"role":"tool","content":"hi"}]}`, auth, 400, "invalid_request_error"},
		{"only a system message", "POST", "/v1/messages", "application/json", `{"model":"claude-x","max_tokens":5,"messages":[{"role":"system","content":"hi"}]}`, auth, 400, "invalid_request_error"},
		{"image block", "POST", "/v1/messages", "application/json", `{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}`, auth, 400, "invalid_request_error"},
		{"server tool", "POST", "/v1/messages", "application/json", `{"model":"claude-x","max_tokens":5,"tools":[{"type":"code_execution_20250825","name":"code_execution"}],"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "invalid_request_error"},
		{"tool_choice naming no tool", "POST", "/v1/messages", "application/json", `{"model":"claude-x","max_tokens":5,"tool_choice":{"type":"tool","name":"x"},"messages":[{"role":"user","content":"hi"}]}`, auth, 400, "invalid_request_error"},
		{"unknown model", "POST", "/v1/messages", "application/json", `{"model":"llama-3","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, auth, 404, "not_found_error"},
		{"count_tokens without messages", "POST", "/v1/messages/count_tokens", "application/json", `{"model":"claude-x"}`, auth, 400, "invalid_request_error"},
		// The routes both APIs share, and a base URL given with /v1, to a
		// client that sends anthropic-version (they were OpenAI-shaped).
		{"models without a key", "GET", "/v1/models", "", "", map[string]string{"anthropic-version": "2023-06-01"}, 401, "authentication_error"},
		{"an unknown model's entry", "GET", "/v1/models/nope", "", "", auth, 404, "not_found_error"},
		{"a bad models page", "GET", "/v1/models?limit=0", "", "", auth, 400, "invalid_request_error"},
		{"/v1 twice", "POST", "/v1/v1/messages", "application/json", valid, auth, 404, "not_found_error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := send(t, e, c.method, c.path, c.contentType, c.body, c.header)
			requestID := resp.Header.Get("Request-Id")
			env := decodeAnthropicError(t, resp)
			if resp.StatusCode != c.status || env.Error.Type != c.errType || requestID == "" {
				t.Fatalf("%d %+v, want %d %s", resp.StatusCode, env, c.status, c.errType)
			}
		})
	}
	if n := len(e.rows()); n != 0 {
		t.Fatalf("refused calls were recorded: %d", n)
	}
	// The key in x-api-key is accepted on every route, OpenAI's too.
	if resp := send(t, e, "GET", "/v1/models", "", "", auth); resp.StatusCode != http.StatusOK {
		t.Fatalf("x-api-key on /v1/models: %d", resp.StatusCode)
	}
	resp := send(t, e, "POST", "/v1/messages/count_tokens?beta=true", "application/json", valid, auth)
	var count struct {
		InputTokens int `json:"input_tokens"`
	}
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || json.Unmarshal(b, &count) != nil || count.InputTokens < 1 {
		t.Fatalf("count_tokens: %d %s", resp.StatusCode, b)
	}
	if resp := send(t, e, "POST", "/v1/messages", "application/json", valid, auth); resp.StatusCode != http.StatusOK {
		t.Fatalf("a valid call with x-api-key: %d", resp.StatusCode)
	}
	if n := len(e.rows()); n != 1 {
		t.Fatalf("count_tokens must not be recorded: %d calls", n)
	}
}

// TestMessagesCORSAllowsAnthropicHeaders: browsers may send the Anthropic
// SDK's headers.
func TestMessagesCORSAllowsAnthropicHeaders(t *testing.T) {
	e := start(t, func(c *config.Config) { c.CORSOrigins = []string{"https://app.example"} })
	resp := send(t, e, "OPTIONS", "/v1/messages", "", "", map[string]string{"Origin": "https://app.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key, anthropic-version, anthropic-beta"})
	allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"x-api-key", "anthropic-version", "anthropic-beta"} {
		if !strings.Contains(allowed, h) {
			t.Fatalf("preflight allows %q, not %s", allowed, h)
		}
	}
}

// TestMessagesCarryAnthropicsRequestID: the Messages routes name the call
// in Anthropic's header too, request-id, which the Anthropic SDKs read (a
// message's _request_id, an error's requestID); they got none.
func TestMessagesCarryAnthropicsRequestID(t *testing.T) {
	e := start(t, nil)
	for _, body := range []string{
		`{"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"claude-x","messages":[{"role":"user","content":"hi"}]}`, // a 400
	} {
		resp := postJSON(t, e, "/v1/messages", body, nil)
		if id := resp.Header.Get("X-Request-Id"); id == "" || resp.Header.Get("Request-Id") != id {
			t.Fatalf("%d: X-Request-Id %q, Request-Id %q", resp.StatusCode, id, resp.Header.Get("Request-Id"))
		}
	}
	if resp := postJSON(t, e, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, nil); resp.Header.Get("Request-Id") != "" {
		t.Fatalf("chat completions got Anthropic's header")
	}
}

// TestCORSAllowsTheSDKsBrowserHeaders: in a browser the OpenAI and
// Anthropic SDKs send headers of their own on every call (X-Stainless-*,
// Idempotency-Key); a preflight that did not allow them made the browser
// refuse the call before it was sent.
func TestCORSAllowsTheSDKsBrowserHeaders(t *testing.T) {
	e := start(t, func(c *config.Config) { c.CORSOrigins = []string{"https://app.example"} })
	asked := []string{"authorization", "content-type", "x-stainless-lang", "x-stainless-os", "x-stainless-retry-count",
		"x-stainless-timeout", "x-stainless-runtime-version", "idempotency-key"}
	for _, path := range []string{"/v1/chat/completions", "/v1/messages", "/v1/responses"} {
		resp := send(t, e, "OPTIONS", path, "", "", map[string]string{"Origin": "https://app.example",
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": strings.Join(asked, ",")})
		allowed := map[string]bool{}
		for h := range strings.SplitSeq(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), ",") {
			allowed[strings.TrimSpace(h)] = true
		}
		for _, h := range asked {
			if !allowed[h] {
				t.Fatalf("%s: preflight allows %q, not %s", path, resp.Header.Get("Access-Control-Allow-Headers"), h)
			}
		}
	}
	// Another origin is still refused, whatever it asks for.
	resp := send(t, e, "OPTIONS", "/v1/chat/completions", "", "", map[string]string{"Origin": "https://evil.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-stainless-lang"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Headers") != "" {
		t.Fatalf("another origin got %v", resp.Header)
	}
}

// TestMessagesStreamStartsWithTheInputTokens: message_start carries the
// prompt's input_tokens, as Anthropic's does (Claude Code reads its context
// size there), equal to the count message_delta ends with. The stream used
// to open before Qwen's first usage arrived and said 0.
func TestMessagesStreamStartsWithTheInputTokens(t *testing.T) {
	// At once, and with the created event alone for a while before the
	// first piece (as a model that takes time to start).
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		e := startOnWith(t, "sqlite", qwensim.Options{EventDelay: delay}, nil)
		streamStartsWithTheInputTokens(t, e)
	}
}

func streamStartsWithTheInputTokens(t *testing.T, e *env) {
	resp := postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"count my words please"}]}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var started, ended int
	for _, line := range strings.Split(string(b), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Type    string
			Message struct {
				Usage struct {
					InputTokens int `json:"input_tokens"`
				}
			}
			Usage struct {
				InputTokens int `json:"input_tokens"`
			}
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %s: %v", data, err)
		}
		switch ev.Type {
		case "message_start":
			started = ev.Message.Usage.InputTokens
		case "message_delta":
			ended = ev.Usage.InputTokens
		}
	}
	if ended == 0 || started != ended {
		t.Fatalf("message_start input_tokens %d, message_delta %d:\n%s", started, ended, b)
	}
}

// TestEmptyTextBlocksAreRefusedAsEmptyStrings: a user turn whose content is
// only empty text blocks is the 400 a blank string is, in each API's own
// envelope (it reached Qwen as an empty prompt). An empty block beside
// other content is taken, as it was.
func TestEmptyTextBlocksAreRefusedAsEmptyStrings(t *testing.T) {
	e := start(t, nil)
	refused := []struct{ path, body, param string }{
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}`, "messages.0.content"},
		// A block without its text is missing a field, not empty.
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":[{"type":"text"}]}]}`, "messages.0.content.0.text"},
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":[{"type":"text","text":" "},{"type":"text","text":"\n"}]}]}`, "messages.0.content"},
		{"/v1/messages/count_tokens", `{"model":"claude-x","messages":[{"role":"user","content":[{"type":"text","text":""}]}]}`, "messages.0.content"},
		{"/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text","text":""}]}]}`, "input[0].content"},
		{"/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text","text":"  "}]}]}`, "input[0].content"},
		{"/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":""}]}`, "input[0].content"},
	}
	for _, c := range refused {
		resp := postJSON(t, e, c.path, c.body, nil)
		if resp.StatusCode != http.StatusBadRequest {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("%s %s: %d %s", c.path, c.body, resp.StatusCode, b)
			continue
		}
		if strings.HasPrefix(c.path, "/v1/messages") {
			says := c.param + ": must not be empty"
			if strings.HasSuffix(c.param, ".text") {
				says = c.param + ": Field required"
			}
			if env := decodeAnthropicError(t, resp); env.Error.Type != "invalid_request_error" || !strings.Contains(env.Error.Message, says) {
				t.Errorf("%s %s: %+v", c.path, c.body, env)
			}
		} else if env := decodeEnvelope(t, resp); env.Error.Param == nil || *env.Error.Param != c.param || env.Error.Type != "invalid_request_error" {
			t.Errorf("%s %s: %+v", c.path, c.body, env)
		}
	}
	if n := len(e.sim.Calls()); n != 0 {
		t.Fatalf("%d calls upstream for empty turns", n)
	}
	for _, c := range []struct{ path, body string }{
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"hello"}]}]}`},
		{"/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text","text":""},{"type":"input_text","text":"hello"}]}]}`},
	} {
		if resp := postJSON(t, e, c.path, c.body, nil); resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("%s %s: %d %s", c.path, c.body, resp.StatusCode, b)
		}
	}
}

// TestCountTokensResolvesTheModelAsMessagesDoes: count_tokens answers a
// model /v1/messages would refuse as /v1/messages answers it (404
// not_found_error for a name no rule maps and Qwen does not list, 400 for a
// variant its model cannot do); it counted them all.
func TestCountTokensResolvesTheModelAsMessagesDoes(t *testing.T) {
	e := start(t, nil)
	for _, c := range []struct {
		model, errType string
		status         int
	}{
		{"claude-x", "", http.StatusOK},
		{"qwen3-max", "", http.StatusOK},
		{"no-such-model", "not_found_error", http.StatusNotFound},
		{"qwen3-max-thinking", "invalid_request_error", http.StatusBadRequest},
	} {
		messages := `"messages":[{"role":"user","content":"hello"}]`
		count := postJSON(t, e, "/v1/messages/count_tokens", `{"model":"`+c.model+`",`+messages+`}`, nil)
		answer := postJSON(t, e, "/v1/messages", `{"model":"`+c.model+`","max_tokens":64,`+messages+`}`, nil)
		if count.StatusCode != c.status || answer.StatusCode != c.status {
			t.Errorf("%s: count_tokens %d, messages %d, want %d", c.model, count.StatusCode, answer.StatusCode, c.status)
			continue
		}
		if c.errType == "" {
			continue
		}
		if got := decodeAnthropicError(t, count); got.Error.Type != c.errType || got.Error.Message != decodeAnthropicError(t, answer).Error.Message {
			t.Errorf("%s: count_tokens answered %+v", c.model, got)
		}
	}
}
