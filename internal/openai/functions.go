package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// LegacyFunctions reports whether the request uses the deprecated
// functions/function_call form, whose answers take the legacy shape
// (message.function_call, finish_reason "function_call").
func (r *ChatRequest) LegacyFunctions() bool { return !IsNull(r.Functions) }

// MapLegacyFunctions maps the legacy function-calling form onto tools: the
// request's functions and function_call become tools and tool_choice, an
// assistant message's function_call becomes a tool call, and a "function"
// message becomes the "tool" result of the latest call of that name. Call
// ids are derived from the message's position, so a resent history maps to
// the same ids every time. It runs after Validate.
func (r *ChatRequest) MapLegacyFunctions() *Error {
	for i := range r.Messages {
		m := &r.Messages[i]
		switch {
		case m.Role == "assistant" && m.FunctionCall != nil && len(m.ToolCalls) == 0:
			tc := ToolCall{ID: fmt.Sprintf("call_function_%d", i), Type: "function"}
			tc.Function.Name, tc.Function.Arguments = m.FunctionCall.Name, m.FunctionCall.Arguments
			m.ToolCalls, m.FunctionCall = []ToolCall{tc}, nil
		case m.Role == "function":
			m.Role, m.ToolCallID = "tool", latestCallID(r.Messages[:i], m.Name)
			if m.ToolCallID == "" {
				m.ToolCallID = fmt.Sprintf("call_function_%d", i)
			}
		}
	}
	if fc := bytes.TrimSpace(r.FunctionCall); !IsNull(fc) && fc[0] != '"' && fc[0] != '{' {
		return TypeError("function_call", `"none", "auto" or {"name": …}`, fc)
	}
	if IsNull(r.Functions) {
		if !IsNull(r.FunctionCall) {
			return InvalidRequest("function_call", "invalid_value", "function_call requires functions")
		}
		return nil
	}
	if !IsNull(r.Tools) {
		return InvalidRequest("functions", "invalid_value", "send tools or the legacy functions, not both")
	}
	var fns []json.RawMessage
	if json.Unmarshal(r.Functions, &fns) != nil {
		return InvalidRequest("functions", "invalid_type", "functions must be an array of function definitions")
	}
	var tools bytes.Buffer
	tools.WriteByte('[')
	for i, f := range fns {
		if i > 0 {
			tools.WriteByte(',')
		}
		tools.WriteString(`{"type":"function","function":`)
		tools.Write(f)
		tools.WriteByte('}')
	}
	tools.WriteByte(']')
	r.Tools, r.Functions = tools.Bytes(), nil
	if IsNull(r.FunctionCall) {
		return nil
	}
	var mode string
	if json.Unmarshal(r.FunctionCall, &mode) == nil {
		if mode != "none" && mode != "auto" {
			return InvalidRequest("function_call", "invalid_value", `function_call must be "none", "auto" or {"name": …}`)
		}
		r.ToolChoice, _ = json.Marshal(mode)
		return nil
	}
	var named struct {
		Name string `json:"name"`
	}
	err := json.Unmarshal(r.FunctionCall, &named)
	if e := FieldTypeError("function_call", r.FunctionCall, err); e != nil {
		return e
	}
	if err != nil || named.Name == "" {
		return InvalidRequest("function_call", "invalid_value", `function_call must be "none", "auto" or {"name": …}`)
	}
	r.ToolChoice, _ = json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": named.Name}})
	return nil
}

func latestCallID(before []Message, name string) string {
	for i := len(before) - 1; i >= 0; i-- {
		for _, tc := range before[i].ToolCalls {
			if tc.Function.Name == name {
				return tc.ID
			}
		}
	}
	return ""
}
