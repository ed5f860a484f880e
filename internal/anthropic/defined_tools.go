package anthropic

import (
	"encoding/json"
	"strings"
)

// definedTool is an Anthropic-defined client tool: one the client runs
// (bash, the text editor, the memory tool) whose name and input Anthropic fixes and whose
// schema Claude knows without being told. Qwen must be told it, so the
// proxy describes it as a client tool of that name and schema; the call
// comes back as a tool_use block the client runs as it would Claude's.
type definedTool struct {
	name        string // the name Anthropic requires ("" where versions differ: see textEditorName)
	description string
	schema      json.RawMessage
}

const bashSchema = `{"type":"object","properties":{` +
	`"command":{"type":"string","description":"The bash command to run."},` +
	`"restart":{"type":"boolean","description":"Restart the bash session (the command is then omitted)."}}}`

const textEditorSchema = `{"type":"object","properties":{` +
	`"command":{"type":"string","enum":["view","create","str_replace","insert","undo_edit"],"description":"view a file or directory, create a file, str_replace text in it, insert text after a line, or undo_edit the last edit."},` +
	`"path":{"type":"string","description":"Absolute path of the file or directory."},` +
	`"file_text":{"type":"string","description":"create: the new file's content."},` +
	`"old_str":{"type":"string","description":"str_replace: the exact text to replace, once in the file."},` +
	`"new_str":{"type":"string","description":"str_replace: the replacement; insert: the text to insert."},` +
	`"insert_line":{"type":"integer","description":"insert: the line after which to insert (0: the file's start)."},` +
	`"view_range":{"type":"array","items":{"type":"integer"},"description":"view: the first and last line (1-based; -1: the end)."}},` +
	`"required":["command","path"]}`

// memorySchema is the memory tool's input (memory_20250818): commands on
// files under /memories that the client keeps.
const memorySchema = `{"type":"object","properties":{` +
	`"command":{"type":"string","enum":["view","create","str_replace","insert","delete","rename"],"description":"view a file or directory, create a file, str_replace text in it, insert text at a line, delete a file or directory, or rename one."},` +
	`"path":{"type":"string","description":"The file or directory, under /memories (all commands but rename)."},` +
	`"view_range":{"type":"array","items":{"type":"integer"},"description":"view: the first and last line (1-based)."},` +
	`"file_text":{"type":"string","description":"create: the new file's content."},` +
	`"old_str":{"type":"string","description":"str_replace: the exact text to replace, once in the file."},` +
	`"new_str":{"type":"string","description":"str_replace: the replacement."},` +
	`"insert_line":{"type":"integer","description":"insert: the line at which to insert."},` +
	`"insert_text":{"type":"string","description":"insert: the text to insert."},` +
	`"old_path":{"type":"string","description":"rename: the current path."},` +
	`"new_path":{"type":"string","description":"rename: the new path."}},` +
	`"required":["command"]}`

// definedToolOf is the defined tool a tools entry's type names, by its
// family (bash_20250124 is bash), and whether there is one.
func definedToolOf(typ string) (definedTool, bool) {
	switch {
	case strings.HasPrefix(typ, "bash_"):
		return definedTool{name: "bash", description: "Run a command in a persistent bash shell and read its output.", schema: json.RawMessage(bashSchema)}, true
	case strings.HasPrefix(typ, "text_editor_"):
		return definedTool{name: textEditorName(typ), description: "View, create and edit text files.", schema: json.RawMessage(textEditorSchema)}, true
	case strings.HasPrefix(typ, "memory_"):
		return definedTool{name: "memory", schema: json.RawMessage(memorySchema),
			description: "Your memory directory, /memories, kept across conversations: view it first, and record there what you learn that a later conversation will need."}, true
	}
	return definedTool{}, false
}

// textEditorName is the name each text editor version requires.
func textEditorName(typ string) string {
	switch typ {
	case "text_editor_20241022", "text_editor_20250124":
		return "str_replace_editor"
	}
	return "str_replace_based_edit_tool"
}
