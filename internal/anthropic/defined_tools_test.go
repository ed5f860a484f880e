package anthropic

import (
	"strings"
	"testing"

	"qwenproxy/internal/openai"
)

// Anthropic-defined client tools (bash, the text editor, the memory tool:
// run by the client, declared by type and name alone) are offered to the model with their
// schema; they were refused as "server tools", which they are not. Server
// tools and computer use are still refused, and a defined tool must carry
// the name Anthropic gives it.
func TestDefinedClientToolsAreOffered(t *testing.T) {
	decode := func(tools string) *Request {
		t.Helper()
		var r Request
		if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":`+tools+`}`), &r); err != nil {
			t.Fatal(err)
		}
		return &r
	}
	r := decode(`[{"type":"bash_20250124","name":"bash"},{"type":"text_editor_20250728","name":"str_replace_based_edit_tool"},{"type":"text_editor_20250124","name":"str_replace_editor"},` +
		`{"type":"memory_20250818","name":"memory"},{"name":"read","input_schema":{"type":"object"}}]`)
	if err := r.Validate(false); err != nil {
		t.Fatal(err)
	}
	set, _ := r.ToolSet()
	if len(set.Tools) != 5 {
		t.Fatalf("tools %+v", set.Tools)
	}
	for i, name := range []string{"bash", "str_replace_based_edit_tool", "str_replace_editor", "memory"} {
		got := set.Tools[i]
		if got.Name != name || got.Description == "" || !strings.Contains(string(got.Parameters), `"command"`) {
			t.Errorf("tool %d: %+v", i, got)
		}
	}
	for tools, want := range map[string]string{
		`[{"type":"bash_20250124","name":"shell"}]`:                             `tools.0.name: a bash_20250124 tool must be named "bash"`,
		`[{"type":"memory_20250818","name":"notes"}]`:                           `tools.0.name: a memory_20250818 tool must be named "memory"`,
		`[{"type":"text_editor_20250728","name":"str_replace_editor"}]`:         `tools.0.name: a text_editor_20250728 tool must be named "str_replace_based_edit_tool"`,
		`[{"type":"web_fetch_20250910","name":"web_fetch"}]`:                    `tools.0.type: "web_fetch_20250910" is a server tool or computer use`,
		`[{"type":"web_search_20250305","name":"search"}]`:                      `tools.0.name: a web_search_20250305 tool must be named "web_search"`,
		`[{"type":"computer_20250124","name":"computer","display_width_px":1}]`: `tools.0.type: "computer_20250124" is a server tool or computer use`,
	} {
		err := decode(tools).Validate(false)
		if err == nil || !strings.HasPrefix(err.Message, want) {
			t.Errorf("%s: %v, want %s…", tools, err, want)
		}
	}
}

// count_tokens counts a defined tool as the model is told it, with its
// schema: it counted the tool's name alone.
func TestDefinedToolsAreCountedWithTheirSchema(t *testing.T) {
	count := func(tools string) int {
		var r Request
		if err := openai.Decode([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":`+tools+`}`), &r); err != nil {
			t.Fatal(err)
		}
		if err := r.Validate(true); err != nil {
			t.Fatal(err)
		}
		return EstimateTokens(&r)
	}
	bare, editor := count(`[]`), count(`[{"type":"text_editor_20250728","name":"str_replace_based_edit_tool"}]`)
	if editor-bare < len(textEditorSchema)/8 {
		t.Fatalf("the text editor adds %d tokens, its schema is %d bytes", editor-bare, len(textEditorSchema))
	}
}

// The text editor's max_characters is held to Anthropic's definition: an
// integer of at least 1, taken by text_editor_20250728 and later (an
// earlier version's, or another defined tool's, is an extra input). Any
// value passed.
func TestTextEditorMaxCharactersIsChecked(t *testing.T) {
	validate := func(tool string) *openai.Error {
		t.Helper()
		var r Request
		if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[`+tool+`]}`), &r); err != nil {
			t.Fatal(err)
		}
		return r.Validate(false)
	}
	for _, tool := range []string{
		`{"type":"text_editor_20250728","name":"str_replace_based_edit_tool","max_characters":10000}`,
		`{"type":"text_editor_20250728","name":"str_replace_based_edit_tool","max_characters":1}`,
		`{"type":"text_editor_20250728","name":"str_replace_based_edit_tool","max_characters":1e4}`,
		`{"type":"text_editor_20250728","name":"str_replace_based_edit_tool","max_characters":null}`,
		`{"type":"text_editor_20260101","name":"str_replace_based_edit_tool","max_characters":500}`,
	} {
		if err := validate(tool); err != nil {
			t.Errorf("%s: %v", tool, err)
		}
	}
	for tool, want := range map[string]string{
		`{"type":"text_editor_20250728","name":"str_replace_based_edit_tool","max_characters":0}`:     `tools.0.max_characters: must be at least 1, not 0`,
		`{"type":"text_editor_20250728","name":"str_replace_based_edit_tool","max_characters":-5}`:    `tools.0.max_characters: must be at least 1, not -5`,
		`{"type":"text_editor_20250728","name":"str_replace_based_edit_tool","max_characters":2.5}`:   `tools.0.max_characters: must be an integer`,
		`{"type":"text_editor_20250728","name":"str_replace_based_edit_tool","max_characters":"100"}`: `tools.0.max_characters: must be an integer`,
		`{"type":"text_editor_20250124","name":"str_replace_editor","max_characters":100}`:            `tools.0.max_characters: Extra inputs are not permitted`,
		`{"type":"text_editor_20250429","name":"str_replace_based_edit_tool","max_characters":100}`:   `tools.0.max_characters: Extra inputs are not permitted`,
		`{"type":"bash_20250124","name":"bash","max_characters":100}`:                                 `tools.0.max_characters: Extra inputs are not permitted`,
	} {
		err := validate(tool)
		if err == nil || !strings.HasPrefix(err.Message, want) || err.Param != "tools.0.max_characters" || err.Status != 400 || err.Type != openai.TypeInvalidRequest {
			t.Errorf("%s: %+v, want a 400 %s…", tool, err, want)
		}
	}
}
