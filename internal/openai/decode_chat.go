package openai

import (
	"encoding/json"

	"qwenproxy/internal/jsonscan"
)

// inPlaceDecoder is a request that decodes itself as json.Unmarshal would,
// faster, or reports false having changed nothing (Decode then takes
// encoding/json's way): the chat request here, the Messages API's and the
// Responses API's in their packages.
type inPlaceDecoder interface {
	DecodeInPlace(body []byte) bool
}

// DecodeInPlace decodes a chat request the way json.Unmarshal does, reading
// message texts in place: a message's content is kept raw, and a string
// content is checked by jsonscan's scan rather than by encoding/json's
// state machine, which passes over it twice (an agent's
// 70 KB request took 0.4 ms, BenchmarkRequestChecks). Every other value is
// decoded by encoding/json, alone. It reports false, having changed
// nothing, for what it does not read exactly as json.Unmarshal would (a key
// in another case or sent twice, a null message, malformed JSON, a wrong
// type): Decode then takes the full way, which also words the error.
// FuzzDecodeChat holds it to json.Unmarshal.
func (r *ChatRequest) DecodeInPlace(body []byte) bool {
	return jsonscan.DecodeObject(body, r, chatKeys, func(name string, v json.RawMessage, req *ChatRequest) bool {
		switch name {
		case "messages":
			return decodeMessages(v, &req.Messages)
		case "model":
			return jsonscan.DecodeString(v, &req.Model)
		case "stream":
			return jsonscan.DecodeBool(v, &req.Stream)
		case "stream_options":
			return json.Unmarshal(v, &req.StreamOptions) == nil
		case "reasoning_effort":
			return jsonscan.DecodeString(v, &req.ReasoningEffort)
		case "enable_thinking":
			return json.Unmarshal(v, &req.EnableThinking) == nil
		case "tools":
			return jsonscan.DecodeRaw(v, &req.Tools)
		case "tool_choice":
			return jsonscan.DecodeRaw(v, &req.ToolChoice)
		case "functions":
			return jsonscan.DecodeRaw(v, &req.Functions)
		case "function_call":
			return jsonscan.DecodeRaw(v, &req.FunctionCall)
		case "response_format":
			return jsonscan.DecodeRaw(v, &req.ResponseFormat)
		case "stop":
			return jsonscan.DecodeRaw(v, &req.Stop)
		case "web_search_options":
			return jsonscan.DecodeRaw(v, &req.WebSearchOptions)
		case "max_tokens":
			return jsonscan.DecodeRaw(v, &req.MaxTokens)
		case "max_completion_tokens":
			return jsonscan.DecodeRaw(v, &req.MaxCompletionTokens)
		default: // "parallel_tool_calls"
			return json.Unmarshal(v, &req.ParallelToolCalls) == nil
		}
	})
}

// chatKeys and messageKeys are the JSON names of ChatRequest's and
// Message's fields.
var (
	chatKeys = []string{"model", "messages", "stream", "stream_options", "reasoning_effort", "enable_thinking", "tools", "tool_choice",
		"functions", "function_call", "response_format", "stop", "web_search_options", "parallel_tool_calls",
		"max_tokens", "max_completion_tokens"}
	messageKeys = []string{"role", "content", "name", "tool_calls", "tool_call_id", "function_call", "refusal"}
)

func decodeMessages(v json.RawMessage, dst *[]Message) bool {
	return jsonscan.DecodeObjects(v, dst, messageKeys, decodeMessageField)
}

func decodeMessageField(name string, v json.RawMessage, m *Message) bool {
	switch name {
	case "role":
		return jsonscan.DecodeString(v, &m.Role)
	case "content":
		return jsonscan.DecodeRaw(v, &m.Content)
	case "name":
		return jsonscan.DecodeString(v, &m.Name)
	case "tool_call_id":
		return jsonscan.DecodeString(v, &m.ToolCallID)
	case "tool_calls":
		return json.Unmarshal(v, &m.ToolCalls) == nil
	case "function_call":
		return json.Unmarshal(v, &m.FunctionCall) == nil
	default: // "refusal"
		return jsonscan.DecodeString(v, &m.Refusal)
	}
}
