package openai

import (
	"encoding/json"
	"strconv"
	"strings"

	"qwenproxy/internal/jsonscan"
)

// dottedPaths is a request of an API that words the array indexes of a
// parameter's path as names (Anthropic's messages.1.content.0.text) where
// OpenAI's brackets them (messages[1].content[0].text), and puts a colon
// after the path (its errors have no param field: "messages.1.role: must
// be a string, not a number").
type dottedPaths interface{ DottedPaths() }

// TypeErrorParam is the parameter te (from decoding body) is about, with the
// index of every array element on its way, as OpenAI words a path or, dotted,
// as Anthropic does. encoding/json's Field has none ("messages.role",
// whichever message it was): the path is found again in body from te's
// Offset (jsonscan.PathTo), and kept only when its names are Field's (a
// json.Unmarshaler's error can carry an offset into its own bytes; then
// Field is all there is). A map's key below Field is named too
// (metadata.user_id).
func TypeErrorParam(body []byte, te *json.UnmarshalTypeError, dotted bool) string {
	field := jsonPath(te.Field)
	names := strings.Split(field, ".")
	if field == "" {
		names = nil
	}
	var b strings.Builder
	matched := 0
	for _, step := range jsonscan.PathTo(body, int(te.Offset)) {
		switch {
		case step.Element && dotted:
			b.WriteString(".")
			b.WriteString(strconv.Itoa(step.Index))
		case step.Element:
			b.WriteString("[" + strconv.Itoa(step.Index) + "]")
		default:
			if matched < len(names) {
				if !strings.EqualFold(step.Name, names[matched]) {
					return field
				}
				matched++
			}
			if b.Len() > 0 {
				b.WriteString(".")
			}
			b.WriteString(step.Name)
		}
	}
	if matched < len(names) {
		return field
	}
	return strings.TrimPrefix(b.String(), ".")
}
