package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

// patchSet declares Codex's apply_patch as Chat Completions sends a custom
// tool with a grammar, beside a function.
func patchSet(t *testing.T, choice string) *Set {
	t.Helper()
	decl := `[{"type":"custom","custom":{"name":"apply_patch","description":"Edit files.","format":{"type":"grammar","grammar":{"syntax":"lark","definition":"start: begin_patch hunk+ end_patch"}}}},
		{"type":"function","function":{"name":"read_file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}]`
	var c json.RawMessage
	if choice != "" {
		c = json.RawMessage(choice)
	}
	set, fe := ParseSet(json.RawMessage(decl), c)
	if fe != nil {
		t.Fatal(fe)
	}
	return set
}

func TestACustomToolIsOfferedAsAFunctionOfOneString(t *testing.T) {
	set := patchSet(t, "")
	if !set.IsCustom("apply_patch") || set.IsCustom("read_file") {
		t.Fatal("apply_patch must be custom, read_file not")
	}
	got := set.Instructions()
	for _, want := range []string{"### apply_patch", "Edit files.", `one string of free text`, `"input"`, "lark grammar", "start: begin_patch hunk+ end_patch"} {
		if !strings.Contains(got, want) {
			t.Errorf("instructions lack %q:\n%s", want, got)
		}
	}
}

func TestACustomCallCarriesItsInput(t *testing.T) {
	set := patchSet(t, "")
	patch := "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch"
	answers := map[string]string{
		"input":      "<tool_call>\n" + `{"name": "apply_patch", "arguments": {"input": ` + quote(patch) + `}}` + "\n</tool_call>",
		"other name": "<tool_call>\n" + `{"name": "apply_patch", "arguments": {"patch": ` + quote(patch) + `}}` + "\n</tool_call>",
		"string":     "<tool_call>\n" + `{"name": "apply_patch", "arguments": ` + quote(patch) + `}` + "\n</tool_call>",
		"xml":        "<apply_patch>\n<input>" + patch + "</input>\n</apply_patch>",
		"xml text":   "<apply_patch>\n" + patch + "\n</apply_patch>",
	}
	for name, answer := range answers {
		for _, streamed := range []bool{false, true} {
			var calls []Call
			if streamed {
				f := set.NewFilter()
				for _, r := range answer { // a rune at a time, as the hardest stream
					_, c := f.Feed(string(r))
					calls = append(calls, c...)
				}
				_, c := f.Flush()
				calls = append(calls, c...)
			} else {
				_, calls = set.Parse(answer)
			}
			if len(calls) != 1 || !calls[0].Custom || CustomInput(calls[0].Arguments) != patch || calls[0].Arguments != CustomArguments(patch) {
				t.Errorf("%s (streamed %v): %+v, want one custom call of the patch", name, streamed, calls)
			}
		}
	}
	_, calls := set.Parse(`<tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call>`)
	if len(calls) != 1 || calls[0].Custom {
		t.Errorf("a function's call must not be custom: %+v", calls)
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestCustomToolChoiceAndFormats(t *testing.T) {
	set := patchSet(t, `{"type":"custom","custom":{"name":"apply_patch"}}`)
	if set.Choice != (Choice{Mode: "function", Name: "apply_patch"}) {
		t.Errorf("chat custom choice: %+v", set.Choice)
	}
	set = patchSet(t, `{"type":"custom","name":"apply_patch"}`)
	if set.Choice != (Choice{Mode: "function", Name: "apply_patch"}) {
		t.Errorf("responses custom choice: %+v", set.Choice)
	}
	set = patchSet(t, `{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":[{"type":"custom","custom":{"name":"apply_patch"}}]}}`)
	if len(set.Tools) != 1 || set.Tools[0].Name != "apply_patch" || set.Choice.Mode != "required" {
		t.Errorf("allowed custom tool: %+v %+v", set.Tools, set.Choice)
	}
	bad := []struct{ tools, choice, param string }{
		{`[{"type":"custom"}]`, ``, "tools[0].custom"},
		{`[{"type":"custom","custom":{"name":"a b"}}]`, ``, "tools[0].custom.name"},
		{`[{"type":"custom","custom":{"name":"a"}},{"type":"function","function":{"name":"a"}}]`, ``, "tools[1].function.name"},
		{`[{"type":"custom","custom":{"name":"a","format":{"type":"json"}}}]`, ``, "tools[0].custom.format.type"},
		{`[{"type":"custom","custom":{"name":"a","format":{"type":"grammar","grammar":{"syntax":"ebnf","definition":"x"}}}}]`, ``, "tools[0].custom.format.grammar.syntax"},
		{`[{"type":"custom","custom":{"name":"a","format":{"type":"grammar","grammar":{"syntax":"regex"}}}}]`, ``, "tools[0].custom.format.grammar.definition"},
		{`[{"type":"custom","custom":{"name":"a","format":"text"}}]`, ``, "tools[0].custom.format"},
		{`[{"type":"custom","custom":{"name":"a"}}]`, `{"type":"function","function":{"name":"a"}}`, "tool_choice"},
		{`[{"type":"function","function":{"name":"a"}}]`, `{"type":"custom","custom":{"name":"a"}}`, "tool_choice"},
		{`[{"type":"custom","custom":{"name":"a"}}]`, `{"type":"custom","custom":{"name":"b"}}`, "tool_choice"},
		{`[{"type":"custom","custom":{"name":"a"}}]`, `{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"type":"function","function":{"name":"a"}}]}}`, "tool_choice.allowed_tools.tools[0]"},
	}
	for _, tc := range bad {
		_, fe := ParseSet(json.RawMessage(tc.tools), json.RawMessage(tc.choice))
		if fe == nil || fe.Param != tc.param {
			t.Errorf("%s / %s: %v, want param %s", tc.tools, tc.choice, fe, tc.param)
		}
	}
	g, fe := ParseFormat(json.RawMessage(`{"type":"grammar","syntax":"regex","definition":"^a+$"}`), "tools[0].format")
	if fe != nil || g == nil || g.Syntax != "regex" || g.Definition != "^a+$" {
		t.Errorf("the Responses API's flat grammar: %+v %v", g, fe)
	}
	if _, fe := ParseFormat(json.RawMessage(`{"type":"grammar","syntax":"regex"}`), "tools[0].format"); fe == nil || fe.Param != "tools[0].format.definition" {
		t.Errorf("a flat grammar without definition: %v", fe)
	}
}

func TestFormatCallOfACustomCall(t *testing.T) {
	got := FormatCall("apply_patch", CustomArguments("a\n\"b\""))
	set := patchSet(t, "")
	_, calls := set.Parse(got)
	if len(calls) != 1 || CustomInput(calls[0].Arguments) != "a\n\"b\"" {
		t.Errorf("a replayed custom call does not read back: %s → %+v", got, calls)
	}
}
