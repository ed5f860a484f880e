package tools

import (
	"encoding/json"
	"fmt"
	"strings"
)

// OpenAI's custom (freeform) tools take one string of free text instead of
// JSON arguments, optionally constrained by a grammar (Codex declares its
// apply_patch so). Qwen has no such thing either: a custom tool is offered
// to the model as a function taking that string as its one argument,
// "input", and a call of it becomes a custom call whose input is that
// string. The grammar cannot be enforced on a model that writes free text:
// it is told to the model as guidance, and the input is not validated
// against it.

// CustomParameter is the one argument a custom tool is offered with.
const CustomParameter = "input"

// customSchema is a custom tool's parameters as the model is told them.
var customSchema = json.RawMessage(`{"type":"object","properties":{"input":{"type":"string","description":"The tool's whole input, as free text"}},"required":["input"]}`)

// Grammar is a custom tool's input format when it is a grammar.
type Grammar struct {
	Syntax     string // lark or regex
	Definition string
}

// CustomTool is a custom tool declared by name, description and grammar
// (nil for free text), offered as a function of one string; param names
// the declaration, for errors about it.
func CustomTool(name, description string, grammar *Grammar, param string) Tool {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(description))
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	b.WriteString("Its input is one string of free text, not a JSON object: pass it whole, as a JSON string (newlines as \\n), in the argument \"input\".")
	if grammar != nil {
		fmt.Fprintf(&b, " The input must match this %s grammar:\n%s", grammar.Syntax, strings.TrimSpace(grammar.Definition))
	}
	return Tool{Name: name, Description: b.String(), Parameters: customSchema, Param: param, Custom: true}
}

// CustomArguments is a custom call's input as the arguments of the
// function it is offered as: a replayed custom call is told to the model,
// and keys its conversation, as the proxy's own answer gave it.
func CustomArguments(input string) string {
	return string(marshal(map[string]string{CustomParameter: input}))
}

// CustomInput is a custom call's input from the function arguments the
// model wrote: the "input" string, or the one string it gave under another
// name, or "" for none; any other arguments are passed on as their JSON
// text.
func CustomInput(arguments string) string {
	var obj map[string]any
	if json.Unmarshal([]byte(arguments), &obj) != nil {
		return arguments
	}
	if s, ok := obj[CustomParameter].(string); ok {
		return s
	}
	if len(obj) == 0 {
		return "" // a call without input
	}
	if len(obj) == 1 {
		for _, v := range obj {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return arguments
}

// asCustom makes a parsed call of tool a custom call when the tool is one:
// its arguments become {"input": …} whatever the model named the string,
// the form a client's replay of the call is keyed by.
func asCustom(c Call, tool *Tool) Call {
	if tool != nil && tool.Custom {
		c.Custom = true
		c.Arguments = CustomArguments(CustomInput(c.Arguments))
	}
	return c
}

// IsCustom reports whether name is a declared custom tool.
func (s *Set) IsCustom(name string) bool {
	if s == nil {
		return false
	}
	t, ok := s.Lookup(name)
	return ok && t.Custom
}

// ParseFormat reads a custom tool's format: absent, null or
// {"type":"text"} is free text (nil); a grammar is
// {"type":"grammar","syntax":…,"definition":…} (the Responses API) or
// {"type":"grammar","grammar":{"syntax":…,"definition":…}} (Chat
// Completions). param names the format field, for errors.
func ParseFormat(raw json.RawMessage, param string) (*Grammar, *FieldError) {
	if t := strings.TrimSpace(string(raw)); t == "" || t == "null" {
		return nil, nil
	}
	type grammar struct {
		Syntax     *string `json:"syntax"`
		Definition *string `json:"definition"`
	}
	var f struct {
		Type    string   `json:"type"`
		Grammar *grammar `json:"grammar"`
		grammar
	}
	if json.Unmarshal(raw, &f) != nil {
		return nil, &FieldError{Param: param, Message: `must be an object: {"type":"text"} or {"type":"grammar",…}`}
	}
	switch f.Type {
	case "text":
		return nil, nil
	case "grammar":
	case "": // absent or null
		return nil, &FieldError{Param: param + ".type", Code: "missing_required_parameter", Message: "is required: text or grammar"}
	default:
		return nil, &FieldError{Param: param + ".type", Message: fmt.Sprintf("must be text or grammar, not %q", f.Type)}
	}
	g, at := f.grammar, param
	if f.Grammar != nil {
		g, at = *f.Grammar, param+".grammar"
	}
	if g.Syntax == nil || *g.Syntax != "lark" && *g.Syntax != "regex" {
		return nil, &FieldError{Param: at + ".syntax", Message: "must be lark or regex"}
	}
	if g.Definition == nil || strings.TrimSpace(*g.Definition) == "" {
		return nil, &FieldError{Param: at + ".definition", Message: "is required and must not be empty"}
	}
	return &Grammar{Syntax: *g.Syntax, Definition: *g.Definition}, nil
}
