package responses

import (
	"encoding/json"
	"strings"
	"testing"
)

// An empty conversation was told it "must be a conversation id (a string)
// or an object with its id, not a string": a string it was. Each way of
// naming no conversation is told what is wrong with it, under param
// conversation; the two forms naming one pass.
func TestCheckConversationSaysWhatIsWrong(t *testing.T) {
	for _, tc := range []struct{ v, code, says string }{
		{`""`, "empty_string", "conversation must not be empty"},
		{`{"id":""}`, "empty_string", "conversation.id must not be empty"},
		{`{}`, "missing_required_parameter", "conversation.id is required"},
		{`{"id":null}`, "missing_required_parameter", "conversation.id is required"},
		{`{"id":5}`, "invalid_type", "conversation.id must be a string, not 5"},
		{`5`, "invalid_type", "conversation must be a conversation id (a string) or an object with its id, not 5"},
		{`["conv_1"]`, "invalid_type", "not an array"},
	} {
		err := checkConversation("conversation", json.RawMessage(tc.v))
		if err == nil || err.Status != 400 || err.Param != "conversation" || err.Code != tc.code || !strings.Contains(err.Message, tc.says) {
			t.Errorf("%s: %+v, want %s %q", tc.v, err, tc.code, tc.says)
		}
	}
	for _, ok := range []string{`"conv_1"`, `{"id":"conv_1"}`, `null`} {
		if err := checkConversation("conversation", json.RawMessage(ok)); err != nil {
			t.Errorf("%s: %+v", ok, err)
		}
	}
}
