package tools

import (
	"fmt"
	"slices"
)

// Change is one change of the tool set partway through a conversation:
// Anthropic's tool_addition and tool_removal blocks (in role "system"
// messages), the Responses API's additional_tools items. An addition gives
// the tool whole (Tool), or by Name alone a tool the conversation declared
// before (in the request's tools or by an earlier addition), to bring it
// back after a removal; a removal (Remove) names the tool to withdraw.
// Param is the request field that made the change, for errors.
type Change struct {
	Remove bool
	Name   string
	Tool   *Tool
	Param  string
}

// Apply makes s's tools the ones in effect at the end of the conversation:
// the declared tools with changes applied in their order. Qwen's chat is
// told a tool set whole (translate.Decide restates it when it changes), so
// what the model is offered from the change on is the set as it stands
// after the last change. An addition by value replaces a tool of its name,
// in its place; a reference or a removal that names a tool the
// conversation never declared is an error about its Param, as Anthropic's
// ToolReferenceUnresolved is. Removing a tool already withdrawn changes
// nothing. Called before tool_choice is read, which may name an added tool.
func (s *Set) Apply(changes []Change) *FieldError {
	if len(changes) == 0 {
		return nil
	}
	declared := make(map[string]Tool, len(s.Tools)+len(changes))
	for _, t := range s.Tools {
		declared[t.Name] = t
	}
	for _, c := range changes {
		switch {
		case c.Tool != nil:
			declared[c.Tool.Name] = *c.Tool
			if i := s.index(c.Tool.Name); i >= 0 {
				s.Tools[i] = *c.Tool
			} else {
				s.Tools = append(s.Tools, *c.Tool)
			}
		case c.Remove:
			if _, ok := declared[c.Name]; !ok {
				return unresolved(c)
			}
			s.Tools = slices.DeleteFunc(s.Tools, func(t Tool) bool { return t.Name == c.Name })
		default:
			t, ok := declared[c.Name]
			if !ok {
				return unresolved(c)
			}
			if s.index(c.Name) < 0 {
				s.Tools = append(s.Tools, t)
			}
		}
	}
	return nil
}

// index is where s holds the tool called name, or -1.
func (s *Set) index(name string) int {
	return slices.IndexFunc(s.Tools, func(t Tool) bool { return t.Name == name })
}

func unresolved(c Change) *FieldError {
	return &FieldError{Param: c.Param, Message: fmt.Sprintf("%q is no tool of this conversation: it names neither a declared tool nor one added earlier", c.Name)}
}
