package openai

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestChunksAreValidJSON(t *testing.T) {
	enc := NewChatChunkEncoder("chatcmpl-1", "qwen3-max", 42)
	check := func(b []byte, want string) {
		t.Helper()
		payload, ok := strings.CutPrefix(string(b), "data: ")
		if !ok || !strings.HasSuffix(payload, "\n\n") {
			t.Fatalf("not an SSE event: %q", b)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(payload), &v); err != nil {
			t.Fatalf("%v in %s", err, payload)
		}
		if v["id"] != "chatcmpl-1" || v["created"] != float64(42) || v["model"] != "qwen3-max" {
			t.Fatalf("envelope %v", v)
		}
		got, _ := json.Marshal(v["choices"])
		if v["usage"] != nil {
			u, _ := json.Marshal(v["usage"])
			got = append(got, u...)
		}
		if string(got) != want {
			t.Fatalf("got %s want %s", got, want)
		}
	}
	check(enc.Role(), `[{"delta":{"role":"assistant"},"finish_reason":null,"index":0}]`)
	check(enc.Content("a \"b\""), `[{"delta":{"content":"a \"b\""},"finish_reason":null,"index":0}]`)
	check(enc.Reasoning("hm"), `[{"delta":{"reasoning_content":"hm"},"finish_reason":null,"index":0}]`)
	check(enc.Finish("stop"), `[{"delta":{},"finish_reason":"stop","index":0}]`)
	check(enc.Usage(Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}), `[]{"completion_tokens":2,"prompt_tokens":1,"total_tokens":3}`)

	legacy := NewTextChunkEncoder("chatcmpl-1", "qwen3-max", 42)
	check(legacy.Content("x"), `[{"finish_reason":null,"index":0,"logprobs":null,"text":"x"}]`)
	check(legacy.Finish("stop"), `[{"finish_reason":"stop","index":0,"logprobs":null,"text":""}]`)
	if legacy.Reasoning("x") != nil {
		t.Fatal("legacy completions have no reasoning field")
	}
	ev := ErrorEvent(&Error{Status: 502, Type: TypeUpstream, Code: "x", Message: "m"})
	if string(ev) != "data: {\"error\":{\"message\":\"m\",\"type\":\"server_error\",\"param\":null,\"code\":\"x\"}}\n\n" {
		t.Fatalf("error event %q", ev)
	}
}

// With include_usage every chunk carries "usage": null but the usage
// chunk, whose usage is the count (OpenAI's stream_options documentation).
func TestIncludeUsageChunksCarryANullUsage(t *testing.T) {
	fields := func(b []byte) map[string]json.RawMessage {
		t.Helper()
		var v map[string]json.RawMessage
		if err := json.Unmarshal(bytes.TrimSuffix(bytes.TrimPrefix(b, []byte("data: ")), []byte("\n\n")), &v); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return v
	}
	for _, enc := range []*ChunkEncoder{NewChatChunkEncoder("chatcmpl-1", "m", 1), NewTextChunkEncoder("cmpl-1", "m", 1)} {
		enc.IncludeUsage()
		// Each chunk is read before the next is made: they share a buffer.
		for _, chunk := range []func() []byte{enc.Role, func() []byte { return enc.Content("x") }, func() []byte { return enc.Finish("stop") },
			func() []byte { return enc.FinishAnnotated("stop", []Annotation{{Type: "url_citation"}}) }} {
			if b := chunk(); string(fields(b)["usage"]) != "null" {
				t.Fatalf("no null usage: %s", b)
			}
		}
		b := enc.Usage(Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3})
		if v := fields(b); string(v["usage"]) == "null" || string(v["choices"]) != "[]" {
			t.Fatalf("usage chunk: %s", b)
		}
	}
}

func TestValidateAcceptsWhatClientsSend(t *testing.T) {
	bodies := []string{
		`{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"<task>x</task>"},{"type":"text","text":"env"}]}],"stream":true,"stream_options":{"include_usage":true},"temperature":0}`,
		`{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":""}],"tools":[],"tool_choice":"auto","top_p":1,"max_tokens":32000}`,
		`{"messages":[{"role":"developer","content":"d"},{"role":"user","content":"u"}],"n":1,"reasoning_effort":"low","unknown_field":{"a":1}}`,
		// An empty system or developer prompt (an app's unset one), which
		// OpenAI takes: until 2026-12-07 a 400 "has no text content".
		`{"messages":[{"role":"system","content":""},{"role":"user","content":"u"}]}`,
		`{"messages":[{"role":"developer","content":" "},{"role":"user","content":"u"}]}`,
		`{"messages":[{"role":"system","content":[{"type":"text","text":""}]},{"role":"user","content":"u"}]}`,
	}
	for _, b := range bodies {
		var req ChatRequest
		if err := Decode([]byte(b), &req); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
}

func TestWantsThinking(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		req  ChatRequest
		want bool
	}{{ChatRequest{}, false}, {ChatRequest{ReasoningEffort: "high"}, true}, {ChatRequest{ReasoningEffort: "minimal"}, false},
		{ChatRequest{EnableThinking: &yes}, true}, {ChatRequest{ReasoningEffort: "high", EnableThinking: &no}, false}} {
		if tc.req.WantsThinking() != tc.want {
			t.Errorf("%+v: %v", tc.req, !tc.want)
		}
	}
}

// TestDecodeNamesFieldsOfEmbeddedRequests: a request type wrapping another
// (the server's Anthropic request) names a bad field by its JSON name, not
// by the Go path encoding/json gives ("Request.temperature").
func TestDecodeNamesFieldsOfEmbeddedRequests(t *testing.T) {
	type Request struct {
		Temperature float64 `json:"temperature"`
		Metadata    struct {
			UserID string `json:"user_id"`
		} `json:"metadata"`
	}
	var req struct {
		Request
		local bool
	}
	for body, param := range map[string]string{`{"temperature":"hot"}`: "temperature", `{"metadata":{"user_id":1}}`: "metadata.user_id"} {
		err := Decode([]byte(body), &req)
		if err == nil || err.Param != param || strings.Contains(err.Message, "Request") {
			t.Errorf("%s: %+v, want param %s", body, err, param)
		}
	}
}

// TestLegacyFunctionResultKeepsItsName: a legacy function message whose
// call is not among the messages names its tool by its own name (it went
// upstream as "Result of tool call call_function_0").
func TestLegacyFunctionResultKeepsItsName(t *testing.T) {
	var req ChatRequest
	if err := json.Unmarshal([]byte(`{"functions":[{"name":"f"}],"messages":[{"role":"user","content":"go"},{"role":"function","name":"f","content":"done"}]}`), &req); err != nil {
		t.Fatal(err)
	}
	if err := req.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := req.MapLegacyFunctions(); err != nil {
		t.Fatal(err)
	}
	msgs := Conversation(req.Messages)
	if m := msgs[1]; m.Role != "tool" || m.ToolName != "f" || m.ToolCallID == "" {
		t.Fatalf("%+v", m)
	}
}

// An assistant message that refused (OpenAI's `refusal`, with content null,
// or a refusal content part) is history a client may resend: it was
// refused with a 400. Its text is what the assistant said.
func TestAssistantRefusalIsHistory(t *testing.T) {
	for _, assistant := range []string{
		`{"role":"assistant","content":null,"refusal":"I can't help with that."}`,
		`{"role":"assistant","refusal":"I can't help with that."}`,
		`{"role":"assistant","content":[{"type":"refusal","refusal":"I can't help with that."}]}`,
	} {
		body := `{"messages":[{"role":"user","content":"hi"},` + assistant + `,{"role":"user","content":"ok then"}]}`
		var req ChatRequest
		if err := Decode([]byte(body), &req); err != nil {
			t.Fatalf("%s: %v", assistant, err)
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("%s: %v", assistant, err)
		}
		if text, err := req.Messages[1].Text(); err != nil || text != "I can't help with that." {
			t.Errorf("%s: text %q, %v", assistant, text, err)
		}
	}
	// A refusal is the assistant's: a user's is still refused, as is an
	// assistant message with nothing at all.
	for _, bad := range []string{
		`{"messages":[{"role":"user","content":[{"type":"refusal","refusal":"no"}]}]}`,
		`{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"refusal":null},{"role":"user","content":"x"}]}`,
	} {
		var req ChatRequest
		if err := Decode([]byte(bad), &req); err == nil && req.Validate() == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// A started stream that Qwen broke off, or that went silent, is a failure
// the same call escapes by being sent again; its error event is typed
// server_error, as OpenAI types its own failures mid-stream, because that is
// what clients read to retry it: OpenCode (the AI SDK) retries an error
// event whose text names server_error, a rate limit or an unavailable
// service, and ended the run on upstream_error ("the answer from Qwen broke
// off"), which as a 502 before the stream it retried. A failure that must
// not be retried keeps its type.
func TestARetryableUpstreamFailureMidStreamIsAServerError(t *testing.T) {
	for _, c := range []struct {
		err  *Error
		want string
	}{
		{&Error{Status: 502, Type: TypeUpstream, Code: "upstream_stream_cut", Message: "m"}, TypeServer},
		{&Error{Status: 504, Type: TypeUpstream, Code: "upstream_timeout", Message: "m"}, TypeServer},
		{&Error{Status: 502, Type: TypeUpstream, Code: "tool_choice_unmet", Message: "m", Final: true}, TypeUpstream},
		{&Error{Status: 504, Type: TypeUpstream, Code: "upstream_max_duration", Message: "m", Final: true}, TypeUpstream},
		{&Error{Status: 429, Type: TypeRateLimit, Code: CodeRateLimitExceeded, Message: "m"}, TypeRateLimit},
		{&Error{Status: 503, Type: TypeUnavailable, Code: "shutting_down", Message: "m"}, TypeUnavailable},
		{&Error{Status: 401, Type: TypeAuthentication, Code: "upstream_credentials_rejected", Message: "m"}, TypeAuthentication},
	} {
		var ev struct {
			Error struct{ Type, Code string } `json:"error"`
		}
		given := c.err.Type
		b := ErrorEvent(c.err)
		if err := json.Unmarshal(bytes.TrimPrefix(bytes.TrimSpace(b), []byte("data: ")), &ev); err != nil {
			t.Fatalf("%s: %v: %q", c.err.Code, err, b)
		}
		if ev.Error.Type != c.want || ev.Error.Code != c.err.Code {
			t.Errorf("%s (final %v): event typed %q, code %q; want %q, %q", c.err.Code, c.err.Final, ev.Error.Type, ev.Error.Code, c.want, c.err.Code)
		}
		if c.err.Type != given { // the record keeps the failure as it was
			t.Errorf("%s: ErrorEvent changed the error it was given to %q", c.err.Code, c.err.Type)
		}
	}
}
