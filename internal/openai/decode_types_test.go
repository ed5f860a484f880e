package openai

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// A value of the wrong JSON type is refused naming the type the field takes:
// a fraction sent for an integer field (top_k, max_output_tokens) is told
// that an integer is wanted, not that "number" must be a number.
func TestDecodeTypeErrorsNameIntegerFields(t *testing.T) {
	var dst struct {
		TopK        *int     `json:"top_k"`
		Temperature *float64 `json:"temperature"`
		Stop        []string `json:"stop"`
		Stream      bool     `json:"stream"`
	}
	for body, want := range map[string]string{
		`{"top_k":1.5}`:         "top_k must be an integer, not 1.5",
		`{"top_k":"3"}`:         "top_k must be an integer, not a string",
		`{"temperature":"hot"}`: "temperature must be a number, not a string",
		`{"stop":"x"}`:          "stop must be an array, not a string",
		`{"stream":"yes"}`:      "stream must be a boolean, not a string",
	} {
		err := Decode([]byte(body), &dst)
		if err == nil {
			t.Errorf("%s: accepted", body)
			continue
		}
		if err.Message != want || err.Code != "invalid_type" {
			t.Errorf("%s: %s (%s), want %q", body, err.Message, err.Code, want)
		}
	}
}

// A type error inside a list names the element, as OpenAI's and Anthropic's
// APIs do: every message's was "messages.role", whichever message it was.
// The chat API brackets an index, Anthropic's dots it; a map's key is
// named; a path that the offset does not lead along (a json.Unmarshaler's
// own error) stays encoding/json's.
func TestATypeErrorNamesTheElement(t *testing.T) {
	for _, c := range []struct{ body, want, dotted string }{
		{`{"messages":[{"role":"user","content":"x"},{"role":1}]}`, "messages[1].role", "messages.1.role"},
		{`{"messages":[{"role":"user","tool_calls":[{"id":"a","function":{"name":"f"}},{"id":"b","function":{"name":2}}]}]}`,
			"messages[0].tool_calls[1].function.name", "messages.0.tool_calls.1.function.name"},
		{"{ \"messages\" : [ {\"role\":\"a\"} ,\n {\"role\" : {\"x\":1}} ] }", "messages[1].role", "messages.1.role"},
		{`{"messages":[7]}`, "messages[0]", "messages.0"},
		{`{"messages":{"role":"user"}}`, "messages", "messages"},
		{`{"stop":["a",["b"]]}`, "stop[1]", "stop.1"},
		{`{"metadata":{"a":"b","user_id":5}}`, "metadata.user_id", "metadata.user_id"},
		{`{"Messages":[{},{"ROLE":true}]}`, "Messages[1].ROLE", "Messages.1.ROLE"},
		{`{"messages":[{"role":"a","content":"\"x\\u005d"},{"role":1}]}`, "messages[1].role", "messages.1.role"},
	} {
		var chat ChatShape
		if err := Decode([]byte(c.body), &chat); err == nil || err.Param != c.want || !strings.HasPrefix(err.Message, c.want+" must be ") {
			t.Errorf("%s: %+v, want %s", c.body, err, c.want)
		}
		dotted := dottedRequest{}
		if err := Decode([]byte(c.body), &dotted); err == nil || err.Param != c.dotted {
			t.Errorf("%s, dotted: %+v, want %s", c.body, err, c.dotted)
		}
	}
	var own struct {
		List []ownError `json:"list"`
	}
	if err := Decode([]byte(`{"list":[1,{"deep":[2,3]}]}`), &own); err == nil || err.Param != "list.x" {
		t.Errorf("an unmarshaler's own error: %+v, want list.x", err)
	}
}

// ChatShape is a chat request's messages, stop and metadata.
type ChatShape struct {
	Messages []struct {
		Role      string `json:"role"`
		ToolCalls []struct {
			ID       string `json:"id"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"messages"`
	Stop     []string          `json:"stop"`
	Metadata map[string]string `json:"metadata"`
}

// dottedRequest is ChatShape in an API that dots its indexes, embedded as
// the server embeds a Messages request (whose Go name encoding/json puts in
// the path).
type dottedRequest struct{ ChatShape }

func (dottedRequest) DottedPaths() {}

// ownError fails as a json.Unmarshaler does: a type error at an offset of
// its own bytes.
type ownError struct{}

func (*ownError) UnmarshalJSON([]byte) error {
	return &json.UnmarshalTypeError{Value: "number", Type: reflect.TypeFor[string](), Offset: 12, Field: "x"}
}
