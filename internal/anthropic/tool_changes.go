package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/tools"
)

// toolChange is a tool_addition or tool_removal block of a role "system"
// message (the betas mid-conversation tool changes and inline tools, which
// the SDK's toolRunner addTools() and removeTools() send): a tool offered
// or withdrawn from that point of the conversation on. An addition carries
// a definition (def, a tools entry) or names a tool the conversation
// declared before (name); a removal names one.
type toolChange struct {
	param  string // the block, messages.N.content.M
	remove bool
	name   string
	def    *Tool
	raw    json.RawMessage // def as sent, for a compaction's tool_changes
}

// changeTool is a tool change's tool: {"type":"tool_reference","name":…}
// or {"type":"tool_definition","definition":{…}}; the MCP references
// (mcp_tool_reference, mcp_toolset_reference) are refused, as MCP servers
// are.
type changeTool struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
}

// systemContent reads a role "system" message's content: a string, or text,
// tool_addition and tool_removal blocks. It returns the text blocks joined
// by blank lines, and the tool changes in their order.
func systemContent(raw json.RawMessage, param string) (string, []toolChange, *openai.Error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		text, err := blocksText(raw, param, "\n\n")
		return text, nil, err
	}
	blocks, err := decodeBlocks(raw, param, "must be a string or a list of text, tool_addition and tool_removal blocks")
	if err != nil {
		return "", nil, err
	}
	var text []string
	var changes []toolChange
	for i, b := range blocks {
		bp := fmt.Sprintf("%s.%d", param, i)
		switch b.Type {
		case "text":
			t, err := b.text(bp)
			if err != nil {
				return "", nil, err
			}
			text = append(text, t)
		case "tool_addition", "tool_removal":
			c, err := readToolChange(b, bp)
			if err != nil {
				return "", nil, err
			}
			changes = append(changes, c)
		default:
			return "", nil, openai.InvalidRequest(bp+".type", "unsupported_value",
				"%s.type: %q blocks are not supported in system messages (text, tool_addition and tool_removal only)", bp, b.Type)
		}
	}
	return strings.Join(text, "\n\n"), changes, nil
}

// readToolChange checks the tool change block b, at param.
func readToolChange(b Block, param string) (toolChange, *openai.Error) {
	c := toolChange{param: param, remove: b.Type == "tool_removal"}
	tp := param + ".tool"
	if openai.IsNull(b.Tool) {
		return c, openai.InvalidRequest(tp, "missing_required_parameter", "%s: Field required", tp)
	}
	var t changeTool
	if err := json.Unmarshal(b.Tool, &t); err != nil {
		if e := fieldTypeError(tp, b.Tool, err); e != nil {
			return c, e
		}
		return c, typeError(tp, "an object", b.Tool)
	}
	switch {
	case t.Type == "tool_reference":
		if t.Name == "" {
			return c, openai.InvalidRequest(tp+".name", "missing_required_parameter", "%s.name: Field required", tp)
		}
		c.name = t.Name
	case t.Type == "tool_definition" && !c.remove:
		if openai.IsNull(t.Definition) {
			return c, openai.InvalidRequest(tp+".definition", "missing_required_parameter", "%s.definition: Field required", tp)
		}
		var def Tool
		if err := json.Unmarshal(t.Definition, &def); err != nil {
			if e := fieldTypeError(tp+".definition", t.Definition, err); e != nil {
				return c, e
			}
			return c, typeError(tp+".definition", "a tool definition (an object)", t.Definition)
		}
		c.def, c.name, c.raw = &def, def.Name, t.Definition
	case t.Type == "mcp_tool_reference" || t.Type == "mcp_toolset_reference":
		return c, openai.InvalidRequest(tp+".type", "unsupported_value",
			"%s.type: %q names an MCP server's tools, which Qwen cannot reach (declare them as client tools)", tp, t.Type)
	case t.Type == "":
		return c, openai.InvalidRequest(tp+".type", "missing_required_parameter", "%s.type: Field required", tp)
	default:
		want := "tool_reference or tool_definition"
		if c.remove {
			want = "tool_reference"
		}
		return c, openai.InvalidRequest(tp+".type", "invalid_value", "%s.type: must be %s, not %q", tp, want, t.Type)
	}
	return c, nil
}

// applyToolChanges applies the request's tool changes to set (the tools
// it declares): see tools.Set.Apply. A definition is held to what a tools
// entry is held to; the web search server tool is only taken in tools,
// where it turns Qwen's search on for the whole conversation.
func (r *Request) applyToolChanges(set *tools.Set) *openai.Error {
	if len(r.toolChanges) == 0 {
		return nil
	}
	changes := make([]tools.Change, 0, len(r.toolChanges))
	for _, c := range r.toolChanges {
		change := tools.Change{Remove: c.remove, Name: c.name, Param: c.param + ".tool.name"}
		if c.def != nil {
			dp := c.param + ".tool.definition"
			p := func(f string) string { return dp + "." + f }
			if isWebSearchTool(c.def.Type) {
				return openai.InvalidRequest(p("type"), "unsupported_value",
					"%s: the web search tool is taken in tools only, where it lets Qwen search", p("type"))
			}
			tool, err := c.def.clientTool(p)
			if err != nil {
				return err
			}
			change.Tool, change.Param = &tool, dp
		}
		changes = append(changes, change)
	}
	if fe := set.Apply(changes); fe != nil {
		return openai.InvalidRequest(fe.Param, "invalid_value", "%s: %s", fe.Param, fe.Message)
	}
	return nil
}

// ToolChangesInEffect are the tool_addition and tool_removal entries that
// take the request's tools to the set its tool changes leave in effect, as
// a compaction block's tool_changes report them (the messages that made the
// changes are among those it replaces): a declared tool withdrawn by
// reference, an added or redefined one by its definition as sent. [] when
// the changes leave the tools as declared.
func (r *Request) ToolChangesInEffect() json.RawMessage {
	declared := map[string]bool{}
	var order []string
	for _, t := range r.Tools {
		declared[t.Name] = true
		order = append(order, t.Name)
	}
	available := maps.Clone(declared)
	defs := map[string]json.RawMessage{}
	for _, c := range r.toolChanges {
		if _, seen := available[c.name]; !seen {
			order = append(order, c.name)
		}
		available[c.name] = !c.remove
		if c.raw != nil {
			defs[c.name] = c.raw
		}
	}
	type tool struct {
		Type       string          `json:"type"`
		Name       string          `json:"name,omitempty"`
		Definition json.RawMessage `json:"definition,omitempty"`
	}
	type entry struct {
		Type string `json:"type"`
		Tool tool   `json:"tool"`
	}
	entries := []entry{}
	for _, name := range order {
		switch {
		case available[name] && defs[name] != nil:
			entries = append(entries, entry{"tool_addition", tool{Type: "tool_definition", Definition: defs[name]}})
		case declared[name] && !available[name]:
			entries = append(entries, entry{"tool_removal", tool{Type: "tool_reference", Name: name}})
		}
	}
	b, _ := json.Marshal(entries) // valid JSON and strings: cannot fail
	return b
}
