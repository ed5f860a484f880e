package anthropic

import (
	"encoding/json"
	"slices"
	"strings"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/typeerror"
)

// The checks of the fields the proxy accepts without reading, with
// Anthropic's messages ("field: what is wrong").

// typeError is openai.TypeError in Anthropic's words: "container: must be a
// string or an object, not 5".
func typeError(name, want string, v json.RawMessage) *openai.Error {
	return openai.InvalidRequest(name, "invalid_type", "%s: must be %s, not %s", name, want, typeerror.Value(v))
}

func oneOf(values ...string) func(string, json.RawMessage) *openai.Error {
	return func(name string, v json.RawMessage) *openai.Error {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return typeError(name, "a string", v)
		}
		if !slices.Contains(values, s) {
			return openai.InvalidRequest(name, "invalid_value", "%s: must be one of %s, not %q", name, strings.Join(values, ", "), s)
		}
		return nil
	}
}

func text(name string, v json.RawMessage) *openai.Error {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return typeError(name, "a string", v)
	}
	return nil
}

func object(name string, v json.RawMessage) *openai.Error {
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return typeError(name, "an object", v)
	}
	return nil
}

func textOrObject(name string, v json.RawMessage) *openai.Error {
	if text(name, v) == nil || object(name, v) == nil {
		return nil
	}
	return typeError(name, "a string or an object", v)
}

// noMCPServers passes an empty list and refuses a server: Qwen cannot call
// one, and its tools would silently be missing.
func noMCPServers(name string, v json.RawMessage) *openai.Error {
	var list []json.RawMessage
	if json.Unmarshal(v, &list) != nil {
		return typeError(name, "a list", v)
	}
	if len(list) > 0 {
		return openai.InvalidRequest(name, "unsupported_parameter",
			"%s: MCP servers are not supported: Qwen cannot reach them; declare their tools as client tools (name, description, input_schema)", name)
	}
	return nil
}
