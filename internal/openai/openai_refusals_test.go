package openai

import (
	"net/http"
	"testing"
)

// Two requests OpenAI refuses, refused as OpenAI words them (seen in
// clients' logs: a 400 invalid_request_error with a null code): they went
// to Qwen, the second for two calls and then a 502 response_format_unmet.
//   - stream_options without stream: true;
//   - response_format json_object with no message saying "json".
func TestChatRequestsOpenAIRefuses(t *testing.T) {
	const (
		streamMsg = "The 'stream_options' parameter is only allowed when 'stream' is enabled."
		jsonMsg   = "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
	)
	checkRefusals(t, []refusal{
		{`{"model":"m","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, "stream_options", streamMsg},
		{`{"model":"m","stream":false,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, "stream_options", streamMsg},
		{`{"model":"m","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"list three colours"}]}`, "messages", jsonMsg},
		{`{"model":"m","stream":true,"response_format":{"type":"json_object"},"messages":[{"role":"system","content":"be terse"},{"role":"user","content":[{"type":"text","text":"three colours"}]}]}`, "messages", jsonMsg},
		// Allowed: stream on, a null stream_options, "json" in any case in
		// any message, a json_schema or text format.
		{`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, "", ""},
		{`{"model":"m","stream_options":null,"messages":[{"role":"user","content":"hi"}]}`, "", ""},
		{`{"model":"m","response_format":{"type":"json_object"},"messages":[{"role":"system","content":"Answer in JSON."},{"role":"user","content":"colours"}]}`, "", ""},
		{`{"model":"m","response_format":{"type":"json_object"},"messages":[{"role":"user","content":[{"type":"text","text":"as Json please"}]}]}`, "", ""},
		{`{"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"c","schema":{"type":"object"}}},"messages":[{"role":"user","content":"colours"}]}`, "", ""},
		{`{"model":"m","response_format":{"type":"text"},"messages":[{"role":"user","content":"colours"}]}`, "", ""},
	}, func(body []byte) *Error {
		var r ChatRequest
		if err := Decode(body, &r); err != nil {
			return err
		}
		return r.Validate()
	})
}

// TestCompletionRequestsOpenAIRefuses: the legacy Completions refuse
// stream_options without stream on as Chat Completions do, in OpenAI's words
// (the SDK's CompletionNewParams: "Only set this when you set `stream:
// true`"); until 2026-12-06 it was taken.
func TestCompletionRequestsOpenAIRefuses(t *testing.T) {
	const streamMsg = "The 'stream_options' parameter is only allowed when 'stream' is enabled."
	checkRefusals(t, []refusal{
		{`{"model":"m","prompt":"hi","stream_options":{"include_usage":true}}`, "stream_options", streamMsg},
		{`{"model":"m","prompt":"hi","stream":false,"stream_options":{}}`, "stream_options", streamMsg},
		// Before the prompt's own check, as Chat's comes before messages'.
		{`{"model":"m","stream_options":{"include_usage":false}}`, "stream_options", streamMsg},
		// Allowed: stream on, a null stream_options.
		{`{"model":"m","prompt":"hi","stream":true,"stream_options":{"include_usage":true}}`, "", ""},
		{`{"model":"m","prompt":"hi","stream_options":null}`, "", ""},
	}, func(body []byte) *Error {
		var r CompletionRequest
		if err := Decode(body, &r); err != nil {
			return err
		}
		return r.Validate()
	})
}

// refusal is a request body and how OpenAI refuses it: the param and
// message of its 400 invalid_request_error (null code), or "" for a body
// it takes.
type refusal struct{ body, param, message string }

// checkRefusals decodes and validates each body with check and asserts
// OpenAI's refusal, or none.
func checkRefusals(t *testing.T, cases []refusal, check func(body []byte) *Error) {
	t.Helper()
	for _, c := range cases {
		err := check([]byte(c.body))
		if c.message == "" {
			if err != nil {
				t.Errorf("%s: %v, want it taken", c.body, err)
			}
			continue
		}
		if err == nil || err.Status != http.StatusBadRequest || err.Type != TypeInvalidRequest || err.Param != c.param || err.Code != "" || err.Message != c.message {
			t.Errorf("%s: %+v, want a 400 invalid_request_error at %s: %s", c.body, err, c.param, c.message)
		}
	}
}

// A system or developer message must have its content, as OpenAI's must
// (an empty one is taken: TestValidateAcceptsWhatClientsSend); a user's
// must say something.
func TestMessagesWithoutContentAreRefused(t *testing.T) {
	for _, c := range []refusal{
		{`{"model":"m","messages":[{"role":"system"},{"role":"user","content":"hi"}]}`, "messages[0].content", "messages[0] with role 'system' is missing required field: content"},
		{`{"model":"m","messages":[{"role":"developer","content":null},{"role":"user","content":"hi"}]}`, "messages[0].content", "messages[0] with role 'developer' is missing required field: content"},
		{`{"model":"m","messages":[{"role":"user","content":""}]}`, "messages[0].content", "messages[0] has no text content"},
	} {
		var r ChatRequest
		err := Decode([]byte(c.body), &r)
		if err == nil {
			err = r.Validate()
		}
		if err == nil || err.Status != http.StatusBadRequest || err.Param != c.param || err.Code != "missing_required_parameter" || err.Message != c.message {
			t.Errorf("%s: %+v, want a 400 missing_required_parameter at %s: %s", c.body, err, c.param, c.message)
		}
	}
}
