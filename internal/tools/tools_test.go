package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

func weatherSet(t testing.TB, choice string) *Set {
	t.Helper()
	tools := `[{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"},"metric":{"type":"boolean"},"tags":{"type":"array"}},"required":["city"]}}},
		{"type":"function","function":{"name":"read_file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}]`
	var c json.RawMessage
	if choice != "" {
		c = json.RawMessage(choice)
	}
	set, err := ParseSet(json.RawMessage(tools), c)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// A tool or tool_choice with a value of the wrong JSON type is told at that
// value's path, as every type error is; all were "tools must be an array of
// function or custom tools" or the list of tool_choice's forms, and a
// function's strict was not checked.
func TestATypeErrorInToolsIsToldAtItsPath(t *testing.T) {
	const get = `[{"type":"function","function":{"name":"get"}}]`
	for _, c := range []struct{ tools, choice, param, message string }{
		{`[{"type":"function","function":{"name":"get","description":5}}]`, ``, "tools[0].function.description", "must be a string, not a number"},
		{`[{"type":"function","function":{"name":"a"}},"x"]`, ``, "tools[1]", "must be an object, not a string"},
		{`5`, ``, "tools", "must be an array, not a number"},
		{`[{"type":"function","function":{"name":"get","strict":"yes"}}]`, ``, "tools[0].function.strict", "must be a boolean, not a string"},
		{`[{"type":"custom","custom":{"name":5}}]`, ``, "tools[0].custom.name", "must be a string, not a number"},
		{get, `{"type":"function","function":{"name":5}}`, "tool_choice.function.name", "must be a string, not a number"},
		{get, `{"type":"allowed_tools","mode":[],"tools":[]}`, "tool_choice.mode", "must be a string, not an array"},
		{get, `{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"type":1}]}}`, "tool_choice.allowed_tools.tools[0].type", "must be a string, not a number"},
		{get, `5`, "tool_choice", "must be a string (none, auto, required) or an object (a function, a custom tool or allowed_tools), not 5"},
		{get, `[]`, "tool_choice", "must be a string (none, auto, required) or an object (a function, a custom tool or allowed_tools), not an array"},
	} {
		_, fe := ParseSet(json.RawMessage(c.tools), json.RawMessage(c.choice))
		if fe == nil || fe.Param != c.param || fe.Message != c.message || fe.Code != "invalid_type" {
			t.Errorf("%s / %s: %+v, want %s %s", c.tools, c.choice, fe, c.param, c.message)
		}
	}
}

func TestParseSetValidates(t *testing.T) {
	bad := []struct{ tools, choice, param string }{
		{`{"x":1}`, ``, "tools"},
		{`[{"type":"retrieval"}]`, ``, "tools[0].type"},
		{`[{"type":"function","function":{"name":"has space"}}]`, ``, "tools[0].function.name"},
		{`[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"a"}}]`, ``, "tools[1].function.name"},
		{`[{"type":"function","function":{"name":"a"}}]`, `"sometimes"`, "tool_choice"},
		{`[{"type":"function","function":{"name":"a"}}]`, `{"type":"function","function":{"name":"b"}}`, "tool_choice"},
		{``, `"required"`, "tool_choice"},
	}
	for _, tc := range bad {
		_, fe := ParseSet(json.RawMessage(tc.tools), json.RawMessage(tc.choice))
		if fe == nil || fe.Param != tc.param {
			t.Errorf("%s / %s: %v, want param %s", tc.tools, tc.choice, fe, tc.param)
		}
	}
	set, err := ParseSet(json.RawMessage(`[{"type":"function","function":{"name":"a"}}]`), json.RawMessage(`"none"`))
	if err != nil || set.Active() {
		t.Fatalf("tool_choice none must switch emulation off: %v", err)
	}
	if set, _ := ParseSet(nil, nil); set.Active() {
		t.Fatal("no tools, yet active")
	}
}

func TestParseCalls(t *testing.T) {
	set := weatherSet(t, "")
	cases := []struct {
		name, answer, content string
		calls                 []string // name + " " + arguments
	}{
		{"plain text", "It is sunny.", "It is sunny.", nil},
		{"one call", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>", "", []string{`get_weather {"city":"Oslo"}`}},
		{"text around", "Let me check.\n<tool_call>{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Rome\"}}</tool_call>\nOne moment.",
			"Let me check.\n\nOne moment.", []string{`get_weather {"city":"Rome"}`}},
		{"parallel", "<tool_call>{\"name\":\"get_weather\",\"arguments\":{\"city\":\"A\"}}</tool_call><tool_call>{\"name\":\"read_file\",\"arguments\":{\"path\":\"x.go\"}}</tool_call>",
			"", []string{`get_weather {"city":"A"}`, `read_file {"path":"x.go"}`}},
		{"arguments as a string", `<tool_call>{"name":"get_weather","arguments":"{\"city\":\"Lima\"}"}</tool_call>`, "", []string{`get_weather {"city":"Lima"}`}},
		{"trailing comma and fence", "<tool_call>```json\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Bern\",},}\n```</tool_call>", "", []string{`get_weather {"city":"Bern"}`}},
		{"single quotes", `<tool_call>{'name': 'get_weather', 'arguments': {'city': "Xi'an"}}</tool_call>`, "", []string{`get_weather {"city":"Xi'an"}`}},
		{"raw newline in a string", "<tool_call>{\"name\":\"read_file\",\"arguments\":{\"path\":\"a\nb\"}}</tool_call>", "", []string{`read_file {"path":"a\nb"}`}},
		{"unclosed at the end", "<tool_call>{\"name\":\"read_file\",\"arguments\":{\"path\":\"z\"}}", "", []string{`read_file {"path":"z"}`}},
		{"no arguments", `<tool_call>{"name":"read_file"}</tool_call>`, "", []string{`read_file {}`}},
		{"undeclared tool stays text", `<tool_call>{"name":"rm_rf","arguments":{}}</tool_call>`, `<tool_call>{"name":"rm_rf","arguments":{}}</tool_call>`, nil},
		{"broken JSON stays text", `<tool_call>{"name": get_weather</tool_call>`, `<tool_call>{"name": get_weather</tool_call>`, nil},
		{"xml form of a declared tool", "I'll read it.\n<read_file>\n<path>README.md</path>\n</read_file>", "I'll read it.", []string{`read_file {"path":"README.md"}`}},
		{"xml form typed by schema", "<get_weather><city>Oslo</city><days>3</days><metric>true</metric><tags>[\"a\"]</tags></get_weather>", "",
			[]string{`get_weather {"city":"Oslo","days":3,"metric":true,"tags":["a"]}`}},
		{"xml: repeated parameter keeps the last", "<read_file><path>a</path><path>b</path></read_file>", "", []string{`read_file {"path":"b"}`}},
		{"xml: nested markup stays a string", "<read_file><path><sub>x</sub></path></read_file>", "", []string{`read_file {"path":"<sub>x</sub>"}`}},
		{"xml: outer newlines of values go", "<read_file>\n<path>\nsrc/main.go\n</path>\n</read_file>", "", []string{`read_file {"path":"src/main.go"}`}},
		{"xml: untyped value stays text", "<get_weather><city>42</city></get_weather>", "", []string{`get_weather {"city":"42"}`}},
		{"xml: prose inside is no call", "<read_file>please read it</read_file>", "<read_file>please read it</read_file>", nil},
		{"html is not a call", "Use <b>bold</b> and <br> tags.", "Use <b>bold</b> and <br> tags.", nil},
		// Numbers keep the model's digits: a float64 would round an id past
		// 2^53 (1234567890123456789 became 1234567890123456800) and rewrite
		// 1.50 as 1.5.
		{"numbers as written", `<tool_call>{"name":"get_weather","arguments":{"city":"Oslo","days":1234567890123456789,"ratio":1.50,"tags":[1e2,-0.0]}}</tool_call>`,
			"", []string{`get_weather {"city":"Oslo","days":1234567890123456789,"ratio":1.50,"tags":[1e2,-0.0]}`}},
		{"numbers as written in string arguments", `<tool_call>{"name":"get_weather","arguments":"{\"city\":\"Oslo\",\"days\":9007199254740993}"}</tool_call>`,
			"", []string{`get_weather {"city":"Oslo","days":9007199254740993}`}},
		// Keys in the model's order, as a streamed call gives them: they
		// were re-encoded from a map, sorted.
		{"keys as written", `<tool_call>{"name":"get_weather","arguments":{"unit": "c", "city": "Zürich", "days": {"to": 2, "from": 1}}}</tool_call>`,
			"", []string{`get_weather {"unit":"c","city":"Zürich","days":{"to":2,"from":1}}`}},
		{"keys as written in repaired arguments", `<tool_call>{'name': 'get_weather', 'arguments': {'unit': 'c', 'city': 'Bern',}}</tool_call>`,
			"", []string{`get_weather {"unit":"c","city":"Bern"}`}},
		{"keys as written in string arguments", `<tool_call>{"name":"get_weather","arguments":"{\"unit\": \"c\", \"city\": \"Lima\"}"}</tool_call>`,
			"", []string{`get_weather {"unit":"c","city":"Lima"}`}},
		{"arguments that are not an object stay text", `<tool_call>{"name":"get_weather","arguments":["Oslo"]}</tool_call>`,
			`<tool_call>{"name":"get_weather","arguments":["Oslo"]}</tool_call>`, nil},
		{"xml: numbers as written", "<get_weather><city>Oslo</city><days>9007199254740993</days><tags>[12345678901234567890]</tags></get_weather>", "",
			[]string{`get_weather {"city":"Oslo","days":9007199254740993,"tags":[12345678901234567890]}`}},
		// A closing tag inside the arguments' strings ends nothing: a call
		// writing a file about tool calls was cut there.
		{"closing tag inside a string", "<tool_call>{\"name\":\"read_file\",\"arguments\":{\"path\":\"a</tool_call>b\"}}</tool_call> Done.", "Done.",
			[]string{`read_file {"path":"a</tool_call>b"}`}},
		{"closing tags inside strings, quotes escaped", `<tool_call>{"name":"read_file","arguments":{"path":"x \"</tool_call>\" '</tool_call> \\"}}</tool_call>`, "",
			[]string{`read_file {"path":"x \"</tool_call>\" '</tool_call> \\"}`}},
		{"single-quoted string holding a closing tag", `<tool_call>{'name': 'read_file', 'arguments': {'path': 'a</tool_call>b'}}</tool_call>`, "",
			[]string{`read_file {"path":"a</tool_call>b"}`}},
		// Broken JSON still ends at the first closing tag, whatever its
		// quotes: the call after it is read.
		{"unclosed string ends at the first closing tag", `<tool_call>{"name":"read_file","arguments":{"path":"a}}</tool_call> then <tool_call>{"name":"read_file","arguments":{"path":"b"}}</tool_call>`,
			`<tool_call>{"name":"read_file","arguments":{"path":"a}}</tool_call> then`, []string{`read_file {"path":"b"}`}},
		{"unclosed string, quotes even at the second tag", `<tool_call>{"name":"read_file","arguments":{"path":"a}}</tool_call> "then" <tool_call>{"name":"read_file","arguments":{"path":"b"}}</tool_call>`,
			`<tool_call>{"name":"read_file","arguments":{"path":"a}}</tool_call> "then"`, []string{`read_file {"path":"b"}`}},
		{"xml: a number JSON cannot hold stays text", "<get_weather><city>Oslo</city><days>NaN</days></get_weather>", "",
			[]string{`get_weather {"city":"Oslo","days":"NaN"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			content, calls := set.Parse(tc.answer)
			var got []string
			for _, c := range calls {
				if !strings.HasPrefix(c.ID, "call_") || len(c.ID) != 29 {
					t.Fatalf("call id %q", c.ID)
				}
				got = append(got, c.Name+" "+c.Arguments)
			}
			if content != tc.content || strings.Join(got, "|") != strings.Join(tc.calls, "|") {
				t.Fatalf("content %q calls %v, want %q %v", content, got, tc.content, tc.calls)
			}
		})
	}
}

func TestFilterStreamsTextAndHoldsOnlyMarkup(t *testing.T) {
	set := weatherSet(t, "")
	answer := "Checking <b>now</b>. <tool_call>{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}</tool_call> Done <tool_"
	// Feed one byte at a time: the worst case for tag boundaries.
	f := set.NewFilter()
	var text strings.Builder
	var calls []Call
	var firstTextAt int
	for i := range len(answer) {
		out, cs := f.Feed(answer[i : i+1])
		if out != "" && firstTextAt == 0 {
			firstTextAt = i + 1
		}
		text.WriteString(out)
		calls = append(calls, cs...)
	}
	out, cs := f.Flush()
	text.WriteString(out)
	calls = append(calls, cs...)
	if firstTextAt != 1 {
		t.Fatalf("first text released after %d bytes, want 1", firstTextAt)
	}
	if text.String() != "Checking <b>now</b>.  Done <tool_" || len(calls) != 1 || calls[0].Arguments != `{"city":"Oslo"}` {
		t.Fatalf("text %q calls %+v", text.String(), calls)
	}
	// A false alarm is released as text.
	f = set.NewFilter()
	t1, _ := f.Feed("a <tool_call>not json</tool_call> b")
	if t1 != "a <tool_call>not json</tool_call> b" {
		t.Fatalf("false alarm text %q", t1)
	}
}

func TestInstructionsAndChoice(t *testing.T) {
	set := weatherSet(t, `{"type":"function","function":{"name":"read_file"}}`)
	ins := set.Instructions()
	for _, want := range []string{"<tool_call>", "### get_weather", "Weather now", `"required":["city"]`, "must call the function read_file"} {
		if !strings.Contains(ins, want) {
			t.Errorf("instructions lack %q", want)
		}
	}
	if set.Satisfied([]Call{{Name: "get_weather"}}) || !set.Satisfied([]Call{{Name: "read_file"}}) {
		t.Fatal("named choice")
	}
	req := weatherSet(t, `"required"`)
	if req.Satisfied(nil) || !req.Satisfied([]Call{{Name: "get_weather"}}) || !strings.Contains(req.Correction(), "at least one") {
		t.Fatal("required choice")
	}
	if got := FormatCall("get_weather", `{"city":"Oslo"}`); got != "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Oslo\"}}\n</tool_call>" {
		t.Fatalf("FormatCall %q", got)
	}
}

// A streamed answer's text is the whole answer's (Parse's), fed byte by
// byte: the whitespace before a call and after the last one goes in both
// (the streamed answer kept "\n\n" before a call that the whole one trimmed),
// and an answer without calls keeps all of its own.
func TestFilterTextIsParseText(t *testing.T) {
	set := weatherSet(t, "")
	call := `<tool_call>{"name":"get_weather","arguments":{"city":"Oslo"}}</tool_call>`
	for _, answer := range []string{
		"Let me check.\n\n" + call,
		"Let me check.\n\n" + call + "\n",
		"Let me check.\n" + call + "\nOne moment.",
		"Let me check. " + call + " \n " + call + "\n\nDone.\n",
		call + "\n\n" + call,
		"I'll read it.\n<read_file>\n<path>README.md</path>\n</read_file>\n",
		"No call here.\n\n",
		"Spaces  inside\tand at the end \n",
		"Quoted: `" + call + "`\n\n",
		"<tool_call>{\"name\": get_weather</tool_call>\n",
		"unclosed " + `<tool_call>{"name":"read_file","arguments":{"path":"z"}}` + "\n",
		"Writing.\n<tool_call>{\"name\":\"read_file\",\"arguments\":{\"path\":\"a</tool_call>b\"}}</tool_call>\nDone.",
	} {
		want, _ := set.Parse(answer)
		f := set.NewFilter()
		var got strings.Builder
		for i := range len(answer) {
			text, _ := f.Feed(answer[i : i+1])
			got.WriteString(text)
		}
		text, _ := f.Flush()
		got.WriteString(text)
		if got.String() != want {
			t.Errorf("answer %q\nstreamed %q\nwhole    %q", answer, got.String(), want)
		}
	}
}

// A malformed named choice is answered with both APIs' forms: the
// Responses API's client would not recognise Chat Completions' alone.
func TestMalformedChoiceNamesBothForms(t *testing.T) {
	set := &Set{Tools: []Tool{{Name: "a"}}}
	fe := set.ParseChoice(json.RawMessage(`{"type":"function"}`))
	if fe == nil || !strings.Contains(fe.Message, `{"type":"function","function":{"name":…}}`) || !strings.Contains(fe.Message, `{"type":"function","name":…}`) {
		t.Fatalf("error %v: want both forms named", fe)
	}
}

// A choice forcing a hosted tool says that such tools are not offered: it
// was told only the accepted forms, as if it were malformed. (Custom tools
// are offered: TestCustomToolChoiceAndFormats.)
func TestChoiceOfAHostedToolSaysWhy(t *testing.T) {
	for _, choice := range []string{`{"type":"web_search"}`, `{"type":"mcp","server_label":"deepwiki"}`} {
		set := &Set{Tools: []Tool{{Name: "a"}}}
		fe := set.ParseChoice(json.RawMessage(choice))
		if fe == nil || fe.Param != "tool_choice" || !strings.Contains(fe.Message, "only function and custom tools are emulated") {
			t.Errorf("%s: %v", choice, fe)
		}
	}
}

// A call's arguments lose the properties whose value is their schema's
// default, however encoded; other values, and tools without defaults, stay.
func TestWithoutDefaults(t *testing.T) {
	set := &Set{Tools: []Tool{
		{Name: "edit", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"all":{"type":"boolean","default":false},"mode":{"default":{"a": [1, "é"]}}}}`)},
		{Name: "read", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`)},
	}}
	for _, c := range []struct{ name, args, want string }{
		{"edit", `{"path":"a","all":false}`, `{"path":"a"}`},
		{"edit", `{"all": false, "path": "a", "mode": {"a":[1,"\u00e9"]}}`, `{"path":"a"}`},
		{"edit", `{"path":"a","all":true}`, `{"path":"a","all":true}`},
		{"edit", `{"path":"a"}`, `{"path":"a"}`},
		{"edit", `not json`, `not json`},
		{"read", `{"path":"a","all":false}`, `{"path":"a","all":false}`},
		{"other", `{"all":false}`, `{"all":false}`},
	} {
		if got := set.WithoutDefaults(c.name, c.args); got != c.want {
			t.Errorf("%s(%s) = %s, want %s", c.name, c.args, got, c.want)
		}
	}
	var none *Set
	if got := none.WithoutDefaults("edit", `{"all":false}`); got != `{"all":false}` {
		t.Errorf("without tools: %s", got)
	}
}

func TestMintedIDsAreTheProxys(t *testing.T) {
	for range 100 {
		if id := newCallID(); !Minted(id) {
			t.Fatalf("%s: not minted", id)
		}
	}
	for _, id := range []string{"", "call_", "call_function_3", "toolu_Ab3dEf6hIj9kLm2nOp5qRs8t", "call_Ab3dEf6hIj9kLm2nOp5qRs8", "call_Ab3dEf6hIj9kLm2nOp5qRs8t ", "call_Ab3dEf6hIj9kLm2nOp5qR_8t"} {
		if Minted(id) {
			t.Errorf("%q: minted", id)
		}
	}
}

// A tool_choice string that is none of the modes says what it was.
func TestAnUnknownToolChoiceSaysWhatItWas(t *testing.T) {
	_, fe := ParseSet(json.RawMessage(`[{"type":"function","function":{"name":"a"}}]`), json.RawMessage(`"sometimes"`))
	if fe == nil || fe.Message != `must be none, auto, required, a function or allowed_tools, not "sometimes"` {
		t.Fatalf("%+v", fe)
	}
}

// A type left out (an allowed_tools entry's, a custom tool format's) is
// told as required, not as a type named "", and so is a Chat tool's
// function given flat, as the Responses API gives it (it was told only
// function and custom tools are supported).
func TestAMissingTypeIsRequired(t *testing.T) {
	for _, c := range []struct{ tools, choice, param, message string }{
		{`[{"type":"function","function":{"name":"x"}}]`, `{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"function":{"name":"x"}}]}}`,
			"tool_choice.allowed_tools.tools[0].type", "is required: function or custom"},
		{`[{"type":"custom","custom":{"name":"x","format":{}}}]`, ``, "tools[0].custom.format.type", "is required: text or grammar"},
		{`[{"type":"function","name":"x","parameters":{"type":"object"}}]`, ``, "tools[0].function",
			`is required: a Chat Completions tool nests its function, {"type":"function","function":{"name":…,"parameters":…}}, not the Responses API's flat {"type":"function","name":…}`},
	} {
		_, fe := ParseSet(json.RawMessage(c.tools), json.RawMessage(c.choice))
		if fe == nil || fe.Param != c.param || fe.Message != c.message || fe.Code != "missing_required_parameter" {
			t.Errorf("%s / %s: %+v", c.tools, c.choice, fe)
		}
	}
}

// A streamed call whose arguments hold its closing tag inside a string
// (Kilo's write of a file about tool calls) streams whole, however the
// answer is cut: it was announced, then cut at that tag and closed there,
// the rest of its arguments sent as answer text. A block of broken JSON
// still ends at its first closing tag, so the calls after it are found.
func TestAStreamedCallHoldingItsClosingTagStreamsWhole(t *testing.T) {
	set := weatherSet(t, "")
	for _, c := range []struct {
		answer, text string
		calls        []string
	}{
		{"Writing.\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"<tool_call>\\n</tool_call> \\\" ' </tool_call>\"}}\n</tool_call>\nDone.",
			"Writing.\n\nDone.", []string{`read_file {"path":"<tool_call>\n</tool_call> \" ' </tool_call>"}`}},
		{`<tool_call>{"name": get_weather "</tool_call>" <tool_call>{"name":"read_file","arguments":{"path":"b"}}</tool_call>`,
			`<tool_call>{"name": get_weather "</tool_call>"`, []string{`read_file {"path":"b"}`}},
	} {
		for _, step := range []int{1, 3, 7, 1000} {
			f := set.NewFilter()
			var text strings.Builder
			var calls []string
			for i := 0; i < len(c.answer); i += step {
				out, cs := f.Feed(c.answer[i:min(i+step, len(c.answer))])
				text.WriteString(out)
				for _, call := range cs {
					calls = append(calls, call.Name+" "+call.Arguments)
				}
			}
			out, cs := f.Flush()
			text.WriteString(out)
			for _, call := range cs {
				calls = append(calls, call.Name+" "+call.Arguments)
			}
			if text.String() != c.text || strings.Join(calls, "|") != strings.Join(c.calls, "|") {
				t.Errorf("%q in pieces of %d: text %q calls %v, want %q %v", c.answer, step, text.String(), calls, c.text, c.calls)
			}
		}
	}
}
