package qwensim

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// terminalAnswer answers a client's reminder that its run ends only with a
// call of a terminal tool (Cline's "call one of these terminal completion
// tools: NAME"): a call of NAME, with the arguments its schema requires, as
// a model that has finished would make it. The reminder also comes with the
// task itself; toolAnswer asks here only when the message calls for nothing
// else.
func terminalAnswer(c *chat, msg string) (string, bool) {
	m := terminalCall.FindStringSubmatch(msg)
	if m == nil || !slices.Contains(c.tools, m[1]) {
		return "", false
	}
	args, err := json.Marshal(requiredArguments(toolSchema(c.told, m[1])))
	if err != nil {
		return "", false
	}
	return callBlock(m[1], string(args)), true
}

// toolSchema is the JSON Schema of a function's arguments as the proxy's
// tool instructions give it ("### NAME", a description, then "Arguments
// (JSON Schema): {…}"; internal/tools/prompt.go), or "" when they give none.
func toolSchema(told, name string) string {
	_, section, ok := strings.Cut(told, "### "+name+"\n")
	if !ok {
		return ""
	}
	section, _, _ = strings.Cut(section, "\n### ") // the next function's
	if m := schemaLine.FindStringSubmatch(section); m != nil {
		return m[1]
	}
	return ""
}

var schemaLine = regexp.MustCompile(`(?m)^Arguments \(JSON Schema\): (.*)$`)

// requiredArguments fills the properties a schema requires with values of
// their types: a sentence for a string (long enough for a minLength of
// ten), true, 1, an empty array or object.
func requiredArguments(schema string) map[string]any {
	var s struct {
		Properties map[string]struct {
			Type string `json:"type"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	args := map[string]any{}
	if json.Unmarshal([]byte(schema), &s) != nil {
		return args
	}
	for _, name := range s.Required {
		switch s.Properties[name].Type {
		case "boolean":
			args[name] = true
		case "integer", "number":
			args[name] = 1
		case "array":
			args[name] = []any{}
		case "object":
			args[name] = map[string]any{}
		default:
			args[name] = "The task is done: every result came back."
		}
	}
	return args
}
