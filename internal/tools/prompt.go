package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Marker opens a call in the markup Qwen models are trained on.
const (
	openTag  = "<tool_call>"
	closeTag = "</tool_call>"
)

// Instructions describes the tools to the model, for the chat's first
// message.
func (s *Set) Instructions() string {
	var b strings.Builder
	b.WriteString("# Tools\n\nYou can call the functions below. To call one, write a block in exactly this form, with JSON inside and nothing else:\n\n")
	b.WriteString(openTag + "\n{\"name\": \"<function name>\", \"arguments\": {<arguments as a JSON object>}}\n" + closeTag + "\n\n")
	b.WriteString("Write one block per call; several blocks call several functions at once. After your calls, stop: the results will come back in the next message. ")
	b.WriteString("When no function is needed, answer in plain text without any block.\n\n## Functions\n")
	for _, t := range s.Tools {
		fmt.Fprintf(&b, "\n### %s\n", t.Name)
		if t.Description != "" {
			b.WriteString(strings.TrimSpace(t.Description) + "\n")
		}
		if len(t.Parameters) > 0 {
			var compact bytes.Buffer
			if json.Compact(&compact, t.Parameters) == nil {
				b.WriteString("Arguments (JSON Schema): " + compact.String() + "\n")
			}
		} else {
			b.WriteString("Arguments: none ({})\n")
		}
	}
	if rule := s.Requirement(); rule != "" {
		b.WriteString("\n" + rule + "\n")
	}
	return b.String()
}

// Requirement states tool_choice as an instruction, or "" for auto.
func (s *Set) Requirement() string {
	switch s.Choice.Mode {
	case "required":
		return "In this answer you must call at least one of these functions."
	case "function":
		return fmt.Sprintf("In this answer you must call the function %s.", s.Choice.Name)
	}
	return ""
}

// Correction asks the model again after an answer that broke tool_choice.
func (s *Set) Correction() string {
	return "Your previous answer did not follow the instructions. " + s.Requirement() +
		" Reply only with the " + openTag + " block(s)."
}

// Satisfied reports whether calls meet tool_choice.
func (s *Set) Satisfied(calls []Call) bool {
	switch s.Choice.Mode {
	case "required":
		return len(calls) > 0
	case "function":
		for _, c := range calls {
			if c.Name == s.Choice.Name {
				return true
			}
		}
		return false
	}
	return true
}

// Allows reports whether a call of the named tool is passed on: a
// tool_choice naming a function forces that one, as OpenAI's and
// Anthropic's do, so the model's calls of others are dropped.
func (s *Set) Allows(name string) bool {
	return s == nil || s.Choice.Mode != "function" || name == s.Choice.Name
}

// FormatCall writes an earlier call back in the markup, for replayed history.
func FormatCall(name, arguments string) string {
	args := strings.TrimSpace(arguments)
	if args == "" || !json.Valid([]byte(args)) {
		b, _ := json.Marshal(args)
		args = string(b)
	}
	return fmt.Sprintf("%s\n{\"name\": %q, \"arguments\": %s}\n%s", openTag, name, args, closeTag)
}
