// Package tools emulates OpenAI function calling on Qwen's web API, which
// has none: the declared tools are described to the model in the chat's
// first message with one unambiguous markup, and calls in that markup are
// parsed out of the answer (whole or streamed) into OpenAI tool_calls.
package tools

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"

	"qwenproxy/internal/typeerror"
)

// Tool is a declared function.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage // JSON Schema of the arguments; may be nil
	// Param is the request field that declared Parameters, as its API
	// names it (tools[2].function.parameters, tools.2.input_schema), for
	// errors about it.
	Param string
	// Namespace is the Responses API namespace tool that declared it, if
	// any: a call of it names it beside the function's name.
	Namespace string
	// Custom marks an OpenAI custom tool, offered as a function of one
	// string (CustomTool).
	Custom bool
	// Strict marks a function declared strict (OpenAI's strict: true,
	// Anthropic's strict tool use): its calls' arguments are checked
	// against Parameters (Set.CheckStrict).
	Strict bool
}

// Choice is tool_choice.
type Choice struct {
	Mode string // auto, none, required, function
	Name string // with Mode function
}

// Set is the tools of one request and how they must be used.
type Set struct {
	Tools  []Tool
	Choice Choice

	tagsOnce sync.Once
	tags     map[string]xmlTag // by tool name: its XML form's tags (see xmlTags)
	longest  int               // the longest tool name's length

	defaultsMu sync.Mutex
	defaults   map[string]map[string][]byte // by tool name, as read: see defaultsOf
}

// xmlTag is a declared tool's opening and closing tag in the XML form.
type xmlTag struct{ open, close string }

// xmlTags are the declared tools' XML tags, made once per set: the stream
// filter looks for them at every piece of the answer, and building them
// there cost two allocations per tool per piece (23,000 a call for an agent
// with 12 tools and an answer of 823 pieces).
func (s *Set) xmlTags() map[string]xmlTag {
	s.tagsOnce.Do(func() {
		s.tags = make(map[string]xmlTag, len(s.Tools))
		for _, t := range s.Tools {
			s.tags[t.Name] = xmlTag{"<" + t.Name + ">", "</" + t.Name + ">"}
			s.longest = max(s.longest, len(t.Name))
		}
	})
	return s.tags
}

// Active reports whether tool calls are emulated for this request.
func (s *Set) Active() bool { return s != nil && len(s.Tools) > 0 && s.Choice.Mode != "none" }

// Lookup returns the declared tool called name.
func (s *Set) Lookup(name string) (*Tool, bool) {
	for i := range s.Tools {
		if s.Tools[i].Name == name {
			return &s.Tools[i], true
		}
	}
	return nil, false
}

// FieldError is a validation error about one request field; Code is the
// 400's code when not invalid_value (invalid_type for a value of the wrong
// JSON type).
type FieldError struct {
	Param, Message string
	Code           string
}

// typeError is the FieldError for err, from decoding raw, the value of
// param, when err is about a value of the wrong JSON type: at that value's
// path (tools[1].function.name must be a string, not a number); nil for
// another error.
func typeError(param string, raw json.RawMessage, err error) *FieldError {
	path, what, ok := typeerror.Of(param, raw, err, false)
	if !ok {
		return nil
	}
	return &FieldError{Param: path, Message: what, Code: "invalid_type"}
}

func (e *FieldError) Error() string { return e.Param + ": " + e.Message }

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ParseSet reads the request's tools and tool_choice (either may be absent).
// Its error names the field that is wrong.
func ParseSet(rawTools, rawChoice json.RawMessage) (*Set, *FieldError) {
	set := &Set{Choice: Choice{Mode: "auto"}}
	if len(bytes.TrimSpace(rawTools)) > 0 && !bytes.Equal(bytes.TrimSpace(rawTools), []byte("null")) {
		var decl []struct {
			Type     string `json:"type"`
			Function *struct {
				Name        string          `json:"name"`
				Description string          `json:"description"`
				Parameters  json.RawMessage `json:"parameters"`
				Strict      *bool           `json:"strict"` // true: its calls' arguments are checked
			} `json:"function"`
			Custom *struct {
				Name        string          `json:"name"`
				Description string          `json:"description"`
				Format      json.RawMessage `json:"format"`
			} `json:"custom"`
		}
		if err := json.Unmarshal(rawTools, &decl); err != nil {
			return nil, cmp.Or(typeError("tools", rawTools, err), &FieldError{Param: "tools", Message: "must be an array of function or custom tools"})
		}
		seen := map[string]bool{}
		for i, d := range decl {
			p := fmt.Sprintf("tools[%d]", i)
			var name, nameParam string
			switch {
			case d.Type == "custom" && d.Custom == nil:
				return nil, &FieldError{Param: p + ".custom", Message: "is required for a tool of type 'custom'"}
			case d.Type == "custom":
				name, nameParam = d.Custom.Name, p+".custom.name"
			case d.Type == "function" && d.Function != nil:
				name, nameParam = d.Function.Name, p+".function.name"
			case d.Type == "function":
				return nil, &FieldError{Param: p + ".function", Code: "missing_required_parameter",
					Message: `is required: a Chat Completions tool nests its function, {"type":"function","function":{"name":…,"parameters":…}}, not the Responses API's flat {"type":"function","name":…}`}
			default:
				return nil, &FieldError{Param: p + ".type", Message: "only tools of type 'function' with a 'function' object, or 'custom' with a 'custom' object, are supported"}
			}
			if !validName.MatchString(name) {
				return nil, &FieldError{Param: nameParam, Message: "must be 1-64 letters, digits, '_' or '-'"}
			}
			if seen[name] {
				return nil, &FieldError{Param: nameParam, Message: fmt.Sprintf("%q is declared twice", name)}
			}
			seen[name] = true
			if d.Type == "custom" {
				grammar, fe := ParseFormat(d.Custom.Format, p+".custom.format")
				if fe != nil {
					return nil, fe
				}
				set.Tools = append(set.Tools, CustomTool(d.Custom.Name, d.Custom.Description, grammar, p+".custom"))
				continue
			}
			// Parameters are checked as a whole, in every client API, by
			// Schemas.
			set.Tools = append(set.Tools, Tool{Name: d.Function.Name, Description: d.Function.Description,
				Parameters: bytes.TrimSpace(d.Function.Parameters), Param: p + ".function.parameters", Strict: d.Function.Strict != nil && *d.Function.Strict})
		}
	}
	if err := set.ParseChoice(rawChoice); err != nil {
		return nil, err
	}
	return set, nil
}

// allowedTools is an allowed_tools tool_choice's subset of the tools.
type allowedTools struct {
	Mode  string `json:"mode"`
	Tools []struct {
		Type     string `json:"type"`
		Name     string `json:"name"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
		Custom struct {
			Name string `json:"name"`
		} `json:"custom"`
	} `json:"tools"`
}

// allow keeps only the allowed tools in s, to be used as their mode says.
func (s *Set) allow(a allowedTools, param string) *FieldError {
	if a.Mode != "auto" && a.Mode != "required" {
		return &FieldError{Param: param + ".mode", Message: "must be auto or required"}
	}
	if len(a.Tools) == 0 {
		return &FieldError{Param: param + ".tools", Message: "must name at least one tool"}
	}
	// The tools by name, and the names kept, in maps: a look through the
	// tools (and through those kept) per allowed tool took seconds of CPU
	// for tens of thousands of them.
	byName := make(map[string]*Tool, len(s.Tools))
	for i := range s.Tools {
		if _, ok := byName[s.Tools[i].Name]; !ok { // the first, as Lookup
			byName[s.Tools[i].Name] = &s.Tools[i]
		}
	}
	keep := make([]Tool, 0, len(a.Tools))
	kept := make(map[string]bool, len(a.Tools))
	for i, t := range a.Tools {
		name := cmp.Or(t.Function.Name, t.Custom.Name, t.Name)
		if t.Type == "" { // absent or null
			return &FieldError{Param: fmt.Sprintf("%s.tools[%d].type", param, i), Code: "missing_required_parameter", Message: "is required: function or custom"}
		}
		tool, ok := byName[name]
		if !ok || t.Type != kindOf(tool) {
			return &FieldError{Param: fmt.Sprintf("%s.tools[%d]", param, i), Message: fmt.Sprintf("must name a function or custom tool among the tools, by its type (%q is not one of type %q)", name, t.Type)}
		}
		if !kept[name] {
			kept[name] = true
			keep = append(keep, *tool)
		}
	}
	s.Tools = keep
	s.Choice = Choice{Mode: a.Mode}
	return nil
}

// ParseChoice reads tool_choice into s: none, auto, required, a named
// function, given in Chat Completions' form
// {"type":"function","function":{"name":…}} or the Responses API's
// {"type":"function","name":…}, or allowed tools, in Chat Completions' form
// {"type":"allowed_tools","allowed_tools":{"mode":…,"tools":[…]}} or the
// Responses API's {"type":"allowed_tools","mode":…,"tools":[…]}: only those
// of the tools are offered, with mode auto or required. Absent or null
// leaves auto.
func (s *Set) ParseChoice(raw json.RawMessage) *FieldError {
	choice := bytes.TrimSpace(raw)
	if len(choice) == 0 || bytes.Equal(choice, []byte("null")) {
		return nil
	}
	if choice[0] != '"' && choice[0] != '{' {
		return &FieldError{Param: "tool_choice", Code: "invalid_type",
			Message: "must be a string (none, auto, required) or an object (a function, a custom tool or allowed_tools), not " + typeerror.Value(choice)}
	}
	var mode string
	if json.Unmarshal(choice, &mode) == nil {
		switch mode {
		case "auto", "none", "required":
			s.Choice.Mode = mode
		default:
			return &FieldError{Param: "tool_choice", Message: fmt.Sprintf("must be none, auto, required, a function or allowed_tools, not %q", mode)}
		}
	} else {
		var named struct {
			Type     string `json:"type"`
			Name     string `json:"name"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
			Custom struct {
				Name string `json:"name"`
			} `json:"custom"`
			allowedTools
			AllowedTools *allowedTools `json:"allowed_tools"`
		}
		err := json.Unmarshal(choice, &named)
		if fe := typeError("tool_choice", choice, err); fe != nil {
			return fe
		}
		ok := err == nil
		if ok && named.Type == "allowed_tools" {
			allowed, param := named.allowedTools, "tool_choice"
			if named.AllowedTools != nil {
				allowed, param = *named.AllowedTools, "tool_choice.allowed_tools"
			}
			return s.allow(allowed, param)
		}
		if ok && named.Type != "" && named.Type != "function" && named.Type != "custom" {
			// A hosted tool (web_search, file_search, mcp, …): the agent
			// is told why, not only which forms pass.
			return &FieldError{Param: "tool_choice", Message: fmt.Sprintf("forces a %q tool, which the proxy does not offer to the model: only function and custom tools are emulated; choose a function, a custom tool, auto, required or none", named.Type)}
		}
		name := cmp.Or(named.Function.Name, named.Custom.Name, named.Name)
		if !ok || named.Type == "" || name == "" {
			return &FieldError{Param: "tool_choice", Message: "must be none, auto, required, a function: {\"type\":\"function\",\"function\":{\"name\":…}} (Chat Completions) or {\"type\":\"function\",\"name\":…} (Responses), a custom tool in the same forms with \"custom\", or allowed_tools"}
		}
		if tool, ok := s.Lookup(name); ok && kindOf(tool) != named.Type {
			return &FieldError{Param: "tool_choice", Message: fmt.Sprintf("names %q as a %s tool, but it is declared as a %s tool", name, named.Type, kindOf(tool))}
		}
		s.Choice = Choice{Mode: "function", Name: name}
	}
	if s.Choice.Mode == "required" || s.Choice.Mode == "function" {
		if len(s.Tools) == 0 {
			return &FieldError{Param: "tool_choice", Message: "requires tools"}
		}
		if _, ok := s.Lookup(s.Choice.Name); s.Choice.Mode == "function" && !ok {
			return &FieldError{Param: "tool_choice", Message: fmt.Sprintf("names %q, which is not among the tools", s.Choice.Name)}
		}
	}
	return nil
}

// kindOf is the type a tool is declared and chosen by: function or custom.
func kindOf(t *Tool) string {
	if t.Custom {
		return "custom"
	}
	return "function"
}
