package responses

import (
	"net/http"
	"testing"

	"qwenproxy/internal/openai"
)

// TestResponsesRequestsOpenAIRefuses: POST /v1/responses refuses
// stream_options without stream on as Chat Completions do, in OpenAI's
// words (the SDK's ResponseNewParams: "Only set this when you set `stream:
// true`"); until 2026-12-06 it was taken. POST /v1/responses/input_tokens,
// which never streams, is not held to it.
func TestResponsesRequestsOpenAIRefuses(t *testing.T) {
	const streamMsg = "The 'stream_options' parameter is only allowed when 'stream' is enabled."
	for _, c := range []struct {
		body, message string
	}{
		{`{"model":"m","input":"hi","stream_options":{"include_obfuscation":false}}`, streamMsg},
		{`{"model":"m","input":"hi","stream":false,"stream_options":{}}`, streamMsg},
		// Allowed: stream on, a null stream_options.
		{`{"model":"m","input":"hi","stream":true,"stream_options":{"include_obfuscation":true}}`, ""},
		{`{"model":"m","input":"hi","stream_options":null}`, ""},
	} {
		var r Request
		if err := openai.Decode([]byte(c.body), &r); err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		err := r.Validate()
		if c.message == "" {
			if err != nil {
				t.Errorf("%s: %v, want it taken", c.body, err)
			}
			continue
		}
		if err == nil || err.Status != http.StatusBadRequest || err.Type != openai.TypeInvalidRequest || err.Param != "stream_options" || err.Code != "" || err.Message != c.message {
			t.Errorf("%s: %+v, want a 400 invalid_request_error at stream_options: %s", c.body, err, c.message)
		}
		var count Request
		if err := openai.Decode([]byte(c.body), &count); err != nil {
			t.Fatal(err)
		}
		if err := count.ValidateCountWith(nil); err != nil {
			t.Errorf("input_tokens %s: %v, want it counted", c.body, err)
		}
	}
}
