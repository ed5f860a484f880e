package openai

import (
	"bytes"
	"encoding/json"
	"strings"

	"qwenproxy/internal/jsonscan"
)

// decodeChat decodes a chat request the way json.Unmarshal does, reading
// message texts in place: a message's content is kept raw, and a string
// content is checked by a scan that jumps from escape to escape rather than
// by encoding/json's state machine, which passes over it twice (an agent's
// 70 KB request took 0.4 ms, BenchmarkRequestChecks). Every other value is
// decoded by encoding/json, alone. It reports false, having changed
// nothing, for what it does not read exactly as json.Unmarshal would (a key
// in another case or sent twice, a null message, malformed JSON, a wrong
// type): Decode then takes the full way, which also words the error.
// FuzzDecodeChat holds it to json.Unmarshal.
func decodeChat(body []byte, dst *ChatRequest) bool {
	var req ChatRequest
	var seen seenKeys
	ok := everyField(body, func(name string, v json.RawMessage) bool {
		if !seen.first(name, chatKeys) {
			return false
		}
		switch name {
		case "messages":
			return decodeMessages(v, &req.Messages)
		case "model":
			return decodeString(v, &req.Model)
		case "stream":
			return decodeBool(v, &req.Stream)
		case "stream_options":
			return json.Unmarshal(v, &req.StreamOptions) == nil
		case "reasoning_effort":
			return decodeString(v, &req.ReasoningEffort)
		case "enable_thinking":
			return json.Unmarshal(v, &req.EnableThinking) == nil
		case "tools":
			return decodeRaw(v, &req.Tools)
		case "tool_choice":
			return decodeRaw(v, &req.ToolChoice)
		case "functions":
			return decodeRaw(v, &req.Functions)
		case "function_call":
			return decodeRaw(v, &req.FunctionCall)
		case "response_format":
			return decodeRaw(v, &req.ResponseFormat)
		case "stop":
			return decodeRaw(v, &req.Stop)
		case "web_search_options":
			return decodeRaw(v, &req.WebSearchOptions)
		case "parallel_tool_calls":
			return json.Unmarshal(v, &req.ParallelToolCalls) == nil
		}
		return json.Valid(v) // another field: checked by CheckFields, not kept
	})
	if !ok {
		return false
	}
	*dst = req
	return true
}

// chatKeys and messageKeys are the JSON names of ChatRequest's and
// Message's fields.
var (
	chatKeys = []string{"model", "messages", "stream", "stream_options", "reasoning_effort", "enable_thinking", "tools", "tool_choice",
		"functions", "function_call", "response_format", "stop", "web_search_options", "parallel_tool_calls"}
	messageKeys = []string{"role", "content", "name", "tool_calls", "tool_call_id", "function_call", "refusal"}
)

// seenKeys tracks the known keys of one object. json.Unmarshal matches keys
// without regard to case and merges a key sent twice into what the first
// one decoded: both are left to it.
type seenKeys uint32

func (s *seenKeys) first(name string, keys []string) bool {
	for i, k := range keys {
		if strings.EqualFold(name, k) {
			if name != k || *s&(1<<i) != 0 {
				return false
			}
			*s |= 1 << i
			return true
		}
	}
	return true
}

func decodeMessages(v json.RawMessage, dst *[]Message) bool {
	if string(v) == "null" {
		*dst = nil
		return true
	}
	if v[0] != '[' {
		return false
	}
	msgs := []Message{}
	ok := eachElement(v, func(el []byte) bool {
		var m Message
		if !decodeMessage(el, &m) {
			return false
		}
		msgs = append(msgs, m)
		return true
	})
	if !ok {
		return false
	}
	*dst = msgs
	return true
}

func decodeMessage(el []byte, m *Message) bool {
	if el[0] != '{' {
		return false // null leaves an element as it was; anything else is an error
	}
	var seen seenKeys
	return everyField(el, func(name string, v json.RawMessage) bool {
		if !seen.first(name, messageKeys) {
			return false
		}
		switch name {
		case "role":
			return decodeString(v, &m.Role)
		case "content":
			return decodeRaw(v, &m.Content)
		case "name":
			return decodeString(v, &m.Name)
		case "tool_call_id":
			return decodeString(v, &m.ToolCallID)
		case "tool_calls":
			return json.Unmarshal(v, &m.ToolCalls) == nil
		case "function_call":
			return json.Unmarshal(v, &m.FunctionCall) == nil
		case "refusal":
			return decodeString(v, &m.Refusal)
		}
		return validValue(v)
	})
}

// everyField is EachField whose fn, returning false, makes it report false.
func everyField(obj []byte, fn func(name string, v json.RawMessage) bool) bool {
	failed := false
	ok := EachField(obj, func(name string, v json.RawMessage) bool {
		failed = !fn(name, v)
		return !failed
	})
	return ok && !failed
}

// eachElement calls fn with every element of the JSON array arr, a slice of
// it, each without surrounding space, its grammar unchecked. It reports
// false, having stopped, when arr is not an array of values or fn returns
// false.
func eachElement(arr []byte, fn func(el []byte) bool) bool {
	i := jsonscan.SkipSpace(arr, 1)
	if i < len(arr) && arr[i] == ']' {
		return jsonscan.SkipSpace(arr, i+1) == len(arr)
	}
	for {
		end := jsonscan.ValueEnd(arr, i)
		if end <= i || !fn(arr[i:end]) {
			return false
		}
		var last bool
		if i, last = afterValue(arr, end, ']'); last {
			return i == len(arr)
		}
	}
}

// decodeString decodes a JSON string or null into dst as json.Unmarshal
// does (null leaves it unchanged).
func decodeString(v json.RawMessage, dst *string) bool {
	if s, ok := unescapedString(v); ok {
		*dst = s
		return true
	}
	return json.Unmarshal(v, dst) == nil
}

// decodeBool decodes a JSON boolean or null into dst as json.Unmarshal does.
func decodeBool(v json.RawMessage, dst *bool) bool {
	switch string(v) {
	case "true", "false":
		*dst = v[0] == 't'
		return true
	}
	return json.Unmarshal(v, dst) == nil
}

// decodeRaw keeps a valid JSON value, copied, as json.RawMessage's
// UnmarshalJSON does.
func decodeRaw(v json.RawMessage, dst *json.RawMessage) bool {
	if !validValue(v) {
		return false
	}
	*dst = append(json.RawMessage(nil), v...)
	return true
}

// validValue is json.Valid, with a string checked by a scan from escape to
// escape: a message's text is most of a request.
func validValue(v []byte) bool {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return json.Valid(v)
	}
	return validStringBody(v[1 : len(v)-1])
}

// validStringBody reports whether s, the inside of a JSON string literal
// whose closing quote was found (jsonscan.StringEnd), is valid: no control
// characters, no unescaped quote, and only JSON's escapes. Bytes that are
// not UTF-8 are valid, as for json.Valid.
func validStringBody(s []byte) bool {
	for _, c := range s {
		if c < 0x20 {
			return false
		}
	}
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return bytes.IndexByte(s, '"') < 0
		}
		if bytes.IndexByte(s[:i], '"') >= 0 || i+1 >= len(s) {
			return false
		}
		switch s[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s = s[i+2:]
		case 'u':
			if !jsonscan.IsHex4(s[i+2:]) {
				return false
			}
			s = s[i+6:]
		default:
			return false
		}
	}
}
