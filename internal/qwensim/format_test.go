package qwensim

import (
	"fmt"
	"testing"
)

// answerFormat is the proxy's statement of a json_schema answer format, as
// internal/structured puts it at the end of a turn's message.
const answerFormat = "\n\n# Answer format\n\nAnswer with one JSON value and nothing else: no prose before or after it, no code fence. " +
	"It must be a \"x\" array that validates against this JSON Schema:\n{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}"

// formatTurn answers msg as the user's message of a new chat, and then,
// when correction is not empty, the proxy's corrective turn after it.
func formatTurn(msg, correction string) (string, bool) {
	c := &chat{nodes: map[string]*node{"u1": {id: "u1", role: "user", content: msg}}}
	if correction == "" {
		return formatAnswer(c, "u1")
	}
	c.nodes["a1"] = &node{id: "a1", parent: "u1", role: "assistant", content: "whatever"}
	c.nodes["u2"] = &node{id: "u2", parent: "a1", role: "user", content: correction}
	return formatAnswer(c, "u2")
}

// A schema's root need not be an object: "reply [1, 2]" is answered with
// that array, as "reply {…}" is with its object (the simulator only knew
// objects, so an array schema's answer could not be tested through it:
// every such call ended in a 502 response_format_unmet). In a turn that
// states an answer format, a root that is a string, number, boolean or null
// is answered too; elsewhere "reply 42" is words, not a JSON request.
func TestFormatAnswerGivesAnyJSONValue(t *testing.T) {
	const fenced = "Here is the JSON you asked for:\n```json\n%s\n```"
	for _, c := range []struct{ msg, correction, want string }{
		{"reply [1, 2]", "", "[1, 2]"},
		{"reply [[1, 2], [3]]", "", "[[1, 2], [3]]"},
		{"reply [{\"a\": [1]}, {\"b\": 2}] please", "", "[{\"a\": [1]}, {\"b\": 2}]"},
		{"reply [1, 2].", "", "[1, 2]"},
		{"reply {\"a\": {\"b\": 1} }" + answerFormat, "", "{\"a\": {\"b\": 1} }"},
		{"reply {\"a\": 1}\n\nmore", "", "{\"a\": 1}"},
		{"reply \"x\" then [1]" + answerFormat, "", "\"x\""},
		{"reply \"x\" then [1]" + answerFormat, "Your previous answer was not what the answer format requires (…)." + answerFormat, "[1]"},
		{"reply [\"a\"] then [3, 4]", "Your previous answer was not what the answer format requires (…).", "[3, 4]"},
		{"reply 42" + answerFormat, "", "42"},
		{"reply true" + answerFormat, "", "true"},
		{"reply null" + answerFormat, "", "null"},
		{"reply \"a string\"" + answerFormat, "", "\"a string\""},
	} {
		got, ok := formatTurn(c.msg, c.correction)
		if want := fmt.Sprintf(fenced, c.want); !ok || got != want {
			t.Errorf("%q (corrected by %q): %q, %v; want %q", c.msg, c.correction, got, ok, want)
		}
	}
	for _, msg := range []string{
		"reply 42",                  // no answer format: words
		"reply true or false",       // the same
		"reply soon" + answerFormat, // no JSON value after "reply"
		"reply [1, 2",               // not a whole value
		"reply [1, 2]x",             // a value run into a word is not one
		"please reply",
	} {
		if got, ok := formatTurn(msg, ""); ok {
			t.Errorf("%q answered as a JSON request: %q", msg, got)
		}
	}
}
