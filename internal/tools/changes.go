package tools

import "fmt"

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
	// Each tool's place is kept in a map, and a removal only marks its
	// place, the list closed up once at the end: a look through the list
	// per change (and a copy of it per removal) took seconds of CPU for a
	// request of tens of thousands of changes.
	declared := make(map[string]Tool, len(s.Tools)+len(changes))
	place := make(map[string]int, len(s.Tools)+len(changes))
	removed := make([]bool, len(s.Tools), len(s.Tools)+len(changes))
	for i, t := range s.Tools {
		declared[t.Name] = t
		place[t.Name] = i
	}
	offer := func(t Tool) {
		if i, ok := place[t.Name]; ok {
			s.Tools[i] = t
			return
		}
		place[t.Name] = len(s.Tools)
		s.Tools = append(s.Tools, t)
		removed = append(removed, false)
	}
	for _, c := range changes {
		switch {
		case c.Tool != nil:
			declared[c.Tool.Name] = *c.Tool
			offer(*c.Tool)
		case c.Remove:
			if _, ok := declared[c.Name]; !ok {
				return unresolved(c)
			}
			if i, ok := place[c.Name]; ok {
				removed[i] = true
				delete(place, c.Name)
			}
		default:
			t, ok := declared[c.Name]
			if !ok {
				return unresolved(c)
			}
			if _, ok := place[c.Name]; !ok {
				offer(t)
			}
		}
	}
	kept := s.Tools[:0]
	for i, t := range s.Tools {
		if !removed[i] {
			kept = append(kept, t)
		}
	}
	s.Tools = kept
	return nil
}

func unresolved(c Change) *FieldError {
	return &FieldError{Param: c.Param, Message: fmt.Sprintf("%q is no tool of this conversation: it names neither a declared tool nor one added earlier", c.Name)}
}
