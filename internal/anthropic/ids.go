package anthropic

import "strings"

// Anthropic's tool_use ids read toolu_…, the core's calls OpenAI's call_…
// (tools.Parse mints them). The front-end renames one prefix into the other
// at its edge, both ways, so that a client sees Anthropic's form and the
// core finds, in a resent conversation, the ids it minted. Ids of another
// form (a client's own, or call_… ids given out before this renaming) pass
// unchanged both ways.

// ToolUseID is the id a client is shown for the core's call id.
func ToolUseID(callID string) string {
	if rest, ok := strings.CutPrefix(callID, "call_"); ok {
		return "toolu_" + rest
	}
	return callID
}

// CallID is the core's id for a client's tool_use id.
func CallID(toolUseID string) string {
	if rest, ok := strings.CutPrefix(toolUseID, "toolu_"); ok {
		return "call_" + rest
	}
	return toolUseID
}
