package openai

import (
	"encoding/json"
	"fmt"

	"qwenproxy/internal/jsonscan"
)

// The checks other client APIs' field tables share with Chat Completions',
// so that a field both APIs take is held to the same rules.

// CheckString is the check of a string of at most maxLen bytes.
func CheckString(maxLen int) func(string, json.RawMessage) *Error { return str(maxLen) }

// MaxModelName bounds the model name a client sends, in every client API:
// it is echoed in the answer and recorded as the call's model, which the
// history counts calls by.
const MaxModelName = 256

// CheckModel is the check of a request's model.
func CheckModel(name string, v json.RawMessage) *Error { return str(MaxModelName)(name, v) }

// CheckEnum is the check of a string that must be one of values.
func CheckEnum(values ...string) func(string, json.RawMessage) *Error { return enum(values...) }

// CheckInteger is the check of an integer from lo to hi.
func CheckInteger(lo, hi float64) func(string, json.RawMessage) *Error { return integer(lo, hi) }

// CheckBoolean is the check of a boolean.
func CheckBoolean(name string, v json.RawMessage) *Error { return boolean(name, v) }

// CheckObject is the check of an object whose members are not read.
func CheckObject(name string, v json.RawMessage) *Error { return object(name, v) }

// CheckArray is the check of an array whose items are not read.
func CheckArray(name string, v json.RawMessage) *Error {
	var list []json.RawMessage
	if json.Unmarshal(v, &list) != nil {
		return TypeError(name, "an array", v)
	}
	return nil
}

// CheckMetadata is the check of OpenAI's metadata: up to 16 string pairs.
func CheckMetadata(name string, v json.RawMessage) *Error { return metadata(name, v) }

// CheckStreamOptions is the check of stream_options' booleans.
func CheckStreamOptions(name string, v json.RawMessage) *Error { return streamOptions(name, v) }

// CheckTopLogprobs passes 0 and refuses any other count of log
// probabilities, which Qwen's web API never returns.
func CheckTopLogprobs(name string, v json.RawMessage) *Error { return topLogprobs(name, v) }

// ServiceTiers are OpenAI's service tiers.
var ServiceTiers = []string{"auto", "default", "flex", "scale", "priority", "fast"}

// ReasoningEfforts are the values of reasoning_effort (reasoning.effort in
// the Responses API).
var ReasoningEfforts = []string{"none", "minimal", "low", "medium", "high", "xhigh", "max"}

// CheckStringList is the check of an array of strings, each of which
// refuse may turn down (nil: any string).
func CheckStringList(refuse func(name, s string) *Error) func(string, json.RawMessage) *Error {
	return func(name string, v json.RawMessage) *Error {
		var list []json.RawMessage
		if json.Unmarshal(v, &list) != nil {
			return TypeError(name, "an array of strings", v)
		}
		for i, item := range list {
			s, ok := jsonscan.StringValue(item)
			if !ok {
				return TypeError(fmt.Sprintf("%s[%d]", name, i), "a string", item)
			}
			if refuse != nil {
				if err := refuse(fmt.Sprintf("%s[%d]", name, i), s); err != nil {
					return err
				}
			}
		}
		return nil
	}
}
