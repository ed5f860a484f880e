package anthropic

import (
	"encoding/json"
	"slices"
	"strings"

	"qwenproxy/internal/openai"
)

// The checks of the fields the proxy accepts without reading, with
// Anthropic's messages ("field: what is wrong").

func oneOf(values ...string) func(string, json.RawMessage) *openai.Error {
	return func(name string, v json.RawMessage) *openai.Error {
		var s string
		if json.Unmarshal(v, &s) != nil || !slices.Contains(values, s) {
			return openai.InvalidRequest(name, "invalid_value", "%s: must be one of %s", name, strings.Join(values, ", "))
		}
		return nil
	}
}

func text(name string, v json.RawMessage) *openai.Error {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return openai.InvalidRequest(name, "invalid_type", "%s: must be a string", name)
	}
	return nil
}

func object(name string, v json.RawMessage) *openai.Error {
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return openai.InvalidRequest(name, "invalid_type", "%s: must be an object", name)
	}
	return nil
}

func textOrObject(name string, v json.RawMessage) *openai.Error {
	if text(name, v) == nil || object(name, v) == nil {
		return nil
	}
	return openai.InvalidRequest(name, "invalid_type", "%s: must be a string or an object", name)
}

// noMCPServers passes an empty list and refuses a server: Qwen cannot call
// one, and its tools would silently be missing.
func noMCPServers(name string, v json.RawMessage) *openai.Error {
	var list []json.RawMessage
	if json.Unmarshal(v, &list) != nil {
		return openai.InvalidRequest(name, "invalid_type", "%s: must be a list", name)
	}
	if len(list) > 0 {
		return openai.InvalidRequest(name, "unsupported_parameter",
			"%s: MCP servers are not supported: Qwen cannot reach them; declare their tools as client tools (name, description, input_schema)", name)
	}
	return nil
}
