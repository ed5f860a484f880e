package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// An empty conversation beside previous_response_id was told it "must be
// a conversation id (a string) or an object with its id, not a string":
// it is told it must not be empty, in OpenAI's error shape, param
// conversation; an object without its id says so too.
func TestAnEmptyConversationIsToldItIsEmpty(t *testing.T) {
	e := start(t, nil)
	for _, tc := range []struct{ conv, code, says string }{
		{`""`, "empty_string", "conversation must not be empty"},
		{`{"id":""}`, "empty_string", "conversation.id must not be empty"},
		{`{}`, "missing_required_parameter", "conversation.id is required"},
	} {
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","previous_response_id":"resp_x","conversation":`+tc.conv+`}`, nil)
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != http.StatusBadRequest || env.Error.Type != "invalid_request_error" || env.Error.Param == nil || *env.Error.Param != "conversation" ||
			env.Error.Code == nil || *env.Error.Code != tc.code || !strings.HasPrefix(env.Error.Message, tc.says) || strings.Contains(env.Error.Message, "not a string") {
			t.Errorf("conversation %s: %d %+v", tc.conv, resp.StatusCode, env.Error)
		}
	}
}
