package anthropic

import "testing"

// A system message's tool blocks are held to Anthropic's shapes, each error
// naming its field; a definition to what a tools entry is held to.
func TestToolChangeBlocksNameWhatIsWrong(t *testing.T) {
	for block, want := range map[string]string{
		`{"type":"tool_addition","tool":{"type":"tool_definition","definition":{"name":"w","input_schema":{"type":"object"}}}}`: "",
		`{"type":"tool_removal","tool":{"type":"tool_reference","name":"f"}}`:                                                   "",
		`{"type":"tool_addition"}`:                                                                                                 "messages.1.content.0.tool: Field required",
		`{"type":"tool_addition","tool":{"name":"f"}}`:                                                                             "messages.1.content.0.tool.type: Field required",
		`{"type":"tool_addition","tool":{"type":"tool_reference"}}`:                                                                "messages.1.content.0.tool.name: Field required",
		`{"type":"tool_removal","tool":{"type":"tool_definition"}}`:                                                                `messages.1.content.0.tool.type: must be tool_reference, not "tool_definition"`,
		`{"type":"tool_addition","tool":{"type":"tool_definition"}}`:                                                               "messages.1.content.0.tool.definition: Field required",
		`{"type":"tool_addition","tool":{"type":"tool_definition","definition":{"name":"w"}}}`:                                     "messages.1.content.0.tool.definition.input_schema: a JSON Schema object is required",
		`{"type":"tool_addition","tool":{"type":"tool_definition","definition":{"type":"web_fetch_20250910","name":"web_fetch"}}}`: `messages.1.content.0.tool.definition.type: "web_fetch_20250910" is a server tool or computer use, which Qwen cannot run; client tools (name, description, input_schema), bash, the text editor and the memory tool are supported`,
		`{"type":"tool_addition","tool":{"type":"mcp_toolset_reference","server_name":"s"}}`:                                       `messages.1.content.0.tool.type: "mcp_toolset_reference" names an MCP server's tools, which Qwen cannot reach (declare them as client tools)`,
		`{"type":"tool_addition","tool":{"type":"tool_reference","name":"nope"}}`:                                                  `messages.1.content.0.tool.name: "nope" is no tool of this conversation: it names neither a declared tool nor one added earlier`,
		`{"type":"image","source":{"type":"url","url":"https://x/y.png"}}`:                                                         `messages.1.content.0.type: "image" blocks are not supported in system messages (text, tool_addition and tool_removal only)`,
	} {
		body := `{"model":"m","max_tokens":5,"tools":[{"name":"f","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"},{"role":"system","content":[` + block + `]}]}`
		wantError(t, block, validated(body), want)
	}
}
