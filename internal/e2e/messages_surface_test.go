package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAnthropicAPIsNotServedSaySo: the Anthropic SDK's Message Batches API
// (client.messages.batches.*) got a bare "no route for POST
// /v1/messages/batches", which reads like a wrong base URL; and its Files
// API (client.beta.files.*) was told to send "a file part's file_data, an
// image_url", which an Anthropic client has not. Each now says the API is
// not served and what to do instead, in the client's words.
func TestAnthropicAPIsNotServedSaySo(t *testing.T) {
	e := start(t, nil)
	anthropic := map[string]string{"anthropic-version": "2023-06-01"}
	files := map[string]string{"anthropic-version": "2023-06-01", "anthropic-beta": "files-api-2025-04-14"}
	batch := `{"requests":[{"custom_id":"a","params":{"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}}]}`
	for _, c := range []struct {
		method, path, body string
		header             map[string]string
		want               string
	}{
		{"POST", "/v1/messages/batches", batch, anthropic, "no Message Batches API here"},
		{"GET", "/v1/messages/batches", "", anthropic, "no Message Batches API here"},
		{"GET", "/v1/messages/batches/msgbatch_01/results", "", nil, "no Message Batches API here"},
		{"POST", "/v1/messages/batches/msgbatch_01/cancel", "", anthropic, "no Message Batches API here"},
		{"GET", "/v1/files", "", files, "a base64 source"},
		{"DELETE", "/v1/files/file_01", "", files, "a base64 source"},
	} {
		contentType := ""
		if c.body != "" {
			contentType = "application/json"
		}
		resp := send(t, e, c.method, c.path, contentType, c.body, c.header)
		env := decodeAnthropicError(t, resp)
		if resp.StatusCode != http.StatusNotFound || env.Error.Type != "not_found_error" ||
			!strings.Contains(env.Error.Message, c.method+" "+c.path+" is not supported by qwenproxy") ||
			!strings.Contains(env.Error.Message, c.want) || strings.Contains(env.Error.Message, "image_url") {
			t.Errorf("%s %s: %d %+v, want a 404 not_found_error saying %q", c.method, c.path, resp.StatusCode, env, c.want)
		}
	}
	// An OpenAI client is still told its own way.
	resp := send(t, e, "GET", "/v1/files", "", "", nil)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "file_data") {
		t.Errorf("OpenAI's GET /v1/files: %d %s", resp.StatusCode, b)
	}
	if n := len(e.rows()); n != 0 {
		t.Fatalf("refused calls were recorded: %d", n)
	}
}

// TestAnthropicErrorsCarryTheRequestIDInTheBody: Anthropic's error
// envelope carries the request's id at its top level too
// ({"type":"error","error":{…},"request_id":…}); a client that logs the
// body (not the headers) had nothing to quote.
func TestAnthropicErrorsCarryTheRequestIDInTheBody(t *testing.T) {
	e := start(t, nil)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/messages", `{"model":"claude-x","messages":[{"role":"user","content":"hi"}]}`}, // the handler's 400
		{"POST", "/v1/messages/count_tokens", `{"model":"claude-x"}`},                                // count_tokens' 400
		{"GET", "/v1/messages", ""}, // the router's 405
		{"POST", "/v1/messages", `{"model":"llama-3","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`}, // 404 model
	} {
		contentType := ""
		if c.body != "" {
			contentType = "application/json"
		}
		resp := send(t, e, c.method, c.path, contentType, c.body, map[string]string{"anthropic-version": "2023-06-01"})
		b, _ := io.ReadAll(resp.Body)
		var env struct {
			Type      string `json:"type"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(b, &env); err != nil || env.Type != "error" || env.RequestID == "" || env.RequestID != resp.Header.Get("Request-Id") {
			t.Errorf("%s %s: %d %s (request-id %q), want the envelope's request_id to be the header's", c.method, c.path, resp.StatusCode, b, resp.Header.Get("Request-Id"))
		}
	}
}

// TestModelsCarryAnthropicsModelInfo: the Anthropic SDK's ModelInfo has
// max_input_tokens, max_tokens, lifecycle, capabilities, line, deprecated_at
// and retires_at on every model (null where unknown); the proxy's entries
// had none of them, so a client reading m.max_input_tokens or m.lifecycle
// got undefined. The lengths are Qwen's (max_context_length,
// max_generation_length), a variant's and a mapped name's those of the model
// they are.
func TestModelsCarryAnthropicsModelInfo(t *testing.T) {
	e := start(t, nil)
	_, list := getJSON(t, e, "GET", "/v1/models")
	byID := map[string]map[string]any{}
	for _, m := range list["data"].([]any) {
		byID[m.(map[string]any)["id"].(string)] = m.(map[string]any)
	}
	_, mapped := getJSON(t, e, "GET", "/v1/models/claude-sonnet-4-5")
	for _, c := range []struct {
		name             string
		m                map[string]any
		input, maxTokens any
	}{
		{"qwen3-max", byID["qwen3-max"], float64(262144), float64(32768)},
		{"a variant", byID["qwen3-max-search"], float64(262144), float64(32768)},
		{"a model without max_generation_length", byID["qwq-32b"], float64(131072), nil},
		{"a mapped name", mapped, float64(262144), float64(32768)},
	} {
		m := c.m
		if m == nil {
			t.Fatalf("%s: not listed", c.name)
		}
		for _, field := range []string{"max_input_tokens", "max_tokens", "lifecycle", "capabilities", "line", "deprecated_at", "retires_at"} {
			if _, ok := m[field]; !ok {
				t.Errorf("%s: no %s in %v", c.name, field, m)
			}
		}
		if m["max_input_tokens"] != c.input || m["max_tokens"] != c.maxTokens || m["lifecycle"] != "active" ||
			m["deprecated_at"] != nil || m["retires_at"] != nil {
			t.Errorf("%s: max_input_tokens %v, max_tokens %v, lifecycle %v, deprecated_at %v, retires_at %v", c.name,
				m["max_input_tokens"], m["max_tokens"], m["lifecycle"], m["deprecated_at"], m["retires_at"])
		}
	}
}

// TestMessagesCarryEveryFieldOfAnthropicsMessage: the Anthropic SDK types a
// message's container, stop_details and diagnostics, and its usage's
// cache_creation, service_tier, server_tool_use, inference_geo,
// output_tokens_details and speed, as always there (null where they do not
// apply); the proxy's messages had none of them, so they were undefined in
// the SDK — and its stream helper copies message_delta's
// delta.stop_details onto the message, which was undefined after every
// stream.
func TestMessagesCarryEveryFieldOfAnthropicsMessage(t *testing.T) {
	e := start(t, nil)
	check := func(what string, msg map[string]any) {
		t.Helper()
		for _, field := range []string{"container", "stop_details", "diagnostics"} {
			if v, ok := msg[field]; !ok || v != nil {
				t.Errorf("%s: %s is %v (present: %v), want null", what, field, v, ok)
			}
		}
		u, _ := msg["usage"].(map[string]any)
		for _, field := range []string{"server_tool_use", "inference_geo", "speed", "output_tokens_details"} {
			if v, ok := u[field]; !ok || v != nil {
				t.Errorf("%s: usage.%s is %v (present: %v), want null", what, field, v, ok)
			}
		}
		cache, _ := u["cache_creation"].(map[string]any)
		if u["service_tier"] != "standard" || cache["ephemeral_5m_input_tokens"] != float64(0) || cache["ephemeral_1h_input_tokens"] != float64(0) {
			t.Errorf("%s: usage %v", what, u)
		}
	}
	resp := postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"fields please"}]}`, nil)
	b, _ := io.ReadAll(resp.Body)
	var msg map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &msg) != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	check("a message", msg)

	resp = postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"stream fields please"}]}`, nil)
	b, _ = io.ReadAll(resp.Body)
	var sawStart, sawDelta bool
	for _, line := range strings.Split(string(b), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("%v: %s", err, data)
		}
		switch ev["type"] {
		case "message_start":
			sawStart = true
			check("message_start's message", ev["message"].(map[string]any))
		case "message_delta":
			sawDelta = true
			delta := ev["delta"].(map[string]any)
			if v, ok := delta["stop_details"]; !ok || v != nil {
				t.Errorf("message_delta's delta.stop_details is %v (present: %v), want null", v, ok)
			}
		}
	}
	if !sawStart || !sawDelta {
		t.Fatalf("no message_start or message_delta in %s", b)
	}

	// Asked for, the thinking's tokens are told apart.
	resp = postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"think please"}]}`, nil)
	b, _ = io.ReadAll(resp.Body)
	var thought struct {
		Usage struct {
			OutputTokens        int `json:"output_tokens"`
			OutputTokensDetails *struct {
				ThinkingTokens int `json:"thinking_tokens"`
			} `json:"output_tokens_details"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(b, &thought); err != nil || thought.Usage.OutputTokensDetails == nil ||
		thought.Usage.OutputTokensDetails.ThinkingTokens < 1 || thought.Usage.OutputTokensDetails.ThinkingTokens > thought.Usage.OutputTokens {
		t.Errorf("thinking: %s", b)
	}
}

// TestMessagesBlocksCarryEveryFieldOfAnthropics: Anthropic's SDKs type a
// text block's citations (null without them) and a tool_use block's caller
// ({"type":"direct"}: the model called it) as always there — the Java and
// Ruby SDKs as required — and their stream helpers build the message from
// content_block_start's block; the proxy's blocks had neither.
func TestMessagesBlocksCarryEveryFieldOfAnthropics(t *testing.T) {
	e := start(t, nil)
	check := func(what string, blocks []any) {
		t.Helper()
		var sawText, sawCall bool
		for _, b := range blocks {
			block := b.(map[string]any)
			switch block["type"] {
			case "text":
				sawText = true
				if v, ok := block["citations"]; !ok || v != nil {
					t.Errorf("%s: a text block's citations is %v (present: %v), want null", what, v, ok)
				}
			case "tool_use":
				sawCall = true
				if caller, _ := block["caller"].(map[string]any); caller["type"] != "direct" {
					t.Errorf("%s: a tool_use block's caller is %v, want {\"type\":\"direct\"}", what, block["caller"])
				}
			}
		}
		if !sawText || !sawCall {
			t.Fatalf("%s: no text or no tool_use block in %v", what, blocks)
		}
	}
	const request = `"model":"claude-x","max_tokens":64,"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],` +
		`"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}]`
	resp := postJSON(t, e, "/v1/messages", `{`+request+`}`, nil)
	b, _ := io.ReadAll(resp.Body)
	var msg struct{ Content []any }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &msg) != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	check("a message", msg.Content)

	resp = postJSON(t, e, "/v1/messages", `{"stream":true,`+request+`}`, nil)
	b, _ = io.ReadAll(resp.Body)
	var started []any
	for _, line := range strings.Split(string(b), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Type         string `json:"type"`
			ContentBlock any    `json:"content_block"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("%v: %s", err, data)
		}
		if ev.Type == "content_block_start" {
			started = append(started, ev.ContentBlock)
		}
	}
	check("content_block_start", started)
}

// TestMessagesTakeAnthropicsServerToolBlocksInHistory: a conversation held
// with Anthropic and continued here (a client switched to the proxy) holds
// what Anthropic's server tools left in its answers — server_tool_use,
// web_search_tool_result, … — beside the text that used them; each such
// request was a 400 ("server_tool_use" blocks are not supported), so the
// conversation could not go on. They are taken, as thinking is: the text
// around them is the answer the model is told it gave.
func TestMessagesTakeAnthropicsServerToolBlocksInHistory(t *testing.T) {
	e := start(t, nil)
	body := `{"model":"claude-x","max_tokens":64,"messages":[
		{"role":"user","content":"what is new?"},
		{"role":"assistant","content":[
			{"type":"text","text":"Let me search. "},
			{"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{"query":"news"},"caller":{"type":"direct"}},
			{"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[{"type":"web_search_result","url":"https://example.com/a","title":"A","encrypted_content":"ENCRYPTED","page_age":null}]},
			{"type":"text","text":"Stuff happened.","citations":[{"type":"web_search_result_location","url":"https://example.com/a","title":"A","encrypted_index":"e","cited_text":"Stuff"}]},
			{"type":"server_tool_use","id":"srvtoolu_02","name":"web_fetch","input":{"url":"https://example.com/a"}},
			{"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_02","content":{"type":"web_fetch_tool_result_error","error_code":"url_not_accessible"}},
			{"type":"mcp_tool_use","id":"mcptoolu_01","name":"lookup","server_name":"docs","input":{}},
			{"type":"mcp_tool_result","tool_use_id":"mcptoolu_01","is_error":false,"content":[{"type":"text","text":"looked up"}]}]},
		{"role":"user","content":"thanks, and then?"}]}`
	resp := postJSON(t, e, "/v1/messages", body, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	q := e.lastRow().QwenRequest.String
	if !strings.Contains(q, "Let me search. Stuff happened.") || strings.Contains(q, "ENCRYPTED") || strings.Contains(q, "srvtoolu_") {
		t.Fatalf("the replayed answer: %s", q)
	}
	// count_tokens takes them too.
	resp = postJSON(t, e, "/v1/messages/count_tokens", body, nil)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Fatalf("count_tokens: %d %s", resp.StatusCode, b)
	}
	// In a user message they are still refused, as Anthropic refuses them.
	resp = postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":[{"type":"text","text":"x"},`+
		`{"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{"query":"news"}}]}]}`, nil)
	if env := decodeAnthropicError(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(env.Error.Message, "messages.0.content.1") {
		t.Fatalf("in a user message: %d %+v", resp.StatusCode, env)
	}
}

// TestMessagesWithNothingToSayHaveNoBlocks: an answer a stop sequence ends
// before its first character has no content, which Anthropic sends as
// "content": [] — and so did the proxy's stream, while the same answer not
// streamed (and the stream's record) had one empty text block, a block
// Anthropic refuses when the conversation is sent back.
func TestMessagesWithNothingToSayHaveNoBlocks(t *testing.T) {
	e := start(t, nil)
	const request = `"model":"claude-x","max_tokens":64,"stop_sequences":["You said"],"messages":[{"role":"user","content":"nothing to say"}]`
	resp := postJSON(t, e, "/v1/messages", `{`+request+`}`, nil)
	b, _ := io.ReadAll(resp.Body)
	var msg struct {
		Content      []any  `json:"content"`
		StopReason   string `json:"stop_reason"`
		StopSequence string `json:"stop_sequence"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &msg) != nil || msg.Content == nil || len(msg.Content) != 0 ||
		msg.StopReason != "stop_sequence" || msg.StopSequence != "You said" {
		t.Fatalf("not streamed: %d %s", resp.StatusCode, b)
	}
	resp = postJSON(t, e, "/v1/messages", `{"stream":true,`+request+`}`, nil)
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), "content_block_start") || !strings.Contains(string(b), `"stop_reason":"stop_sequence"`) {
		t.Fatalf("streamed: %d %s", resp.StatusCode, b)
	}
	if rec := e.lastRow().OpenAIResponse.String; !strings.Contains(rec, `"content":[]`) {
		t.Fatalf("the stream's record: %s", rec)
	}
}
