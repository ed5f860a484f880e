package responses

import (
	"encoding/json"
	"strings"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

func TestConversation(t *testing.T) {
	var r Request
	body := `{"model":"gpt-5","instructions":"Be brief.","tools":[{"type":"function","name":"shell","parameters":{"type":"object"}},{"type":"web_search"}],
		"input":[{"role":"user","content":"list files"},
		{"type":"reasoning","id":"rs_1","summary":[]},
		{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Sure."}]},
		{"type":"function_call","call_id":"call_a","name":"shell","arguments":"{ \"command\": \"ls\" }"},
		{"type":"function_call","call_id":"call_b","name":"shell","arguments":"{\"command\":\"pwd\"}"},
		{"type":"message","role":"assistant","content":[{"type":"output_text","text":" Done."}]},
		{"type":"function_call_output","call_id":"call_a","output":"a.go"},
		{"type":"function_call_output","call_id":"call_b","output":[{"type":"input_text","text":"/w"}]}]}`
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []qp.Message{
		{Role: "system", Text: "Be brief."},
		{Role: "user", Text: "list files"},
		{Role: "assistant", Text: "Sure. Done.", ToolCalls: []qp.ToolCall{{ID: "call_a", Name: "shell", Arguments: `{"command":"ls"}`}, {ID: "call_b", Name: "shell", Arguments: `{"command":"pwd"}`}}},
		{Role: "tool", ToolCallID: "call_a", Text: "a.go"},
		{Role: "tool", ToolCallID: "call_b", Text: "/w"},
	}
	a, _ := json.Marshal(r.Conversation())
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatalf("got  %s\nwant %s", a, b)
	}
	set, _ := r.ToolSet()
	if len(set.Tools) != 1 || set.Tools[0].Name != "shell" {
		t.Fatalf("hosted tools must not be offered: %+v", set.Tools)
	}
}

func TestValidateRefuses(t *testing.T) {
	for _, body := range []string{
		`{"model":"gpt-5"}`,
		`{"model":"gpt-5","input":""}`,
		`{"model":"gpt-5","input":[{"type":"input_image"}]}`,
		`{"model":"gpt-5","input":[{"role":"user","content":[{"type":"input_image","image_url":"x"}]}]}`,
		`{"model":"gpt-5","input":[{"type":"function_call","name":"x"}]}`,
		`{"model":"gpt-5","input":"x","tool_choice":{"type":"function","name":"nope"}}`,
		`{"model":"gpt-5","input":"x","tools":[{"name":"untyped"}]}`,
	} {
		var r Request
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		if r.Validate() == nil {
			t.Errorf("accepted %s", body)
		}
	}
}

// A custom tool (also a namespace's) is offered as a function of one
// string; its replayed call is that function's call, its output a result.
func TestCustomToolsAndItems(t *testing.T) {
	var r Request
	body := `{"model":"gpt-5","tools":[{"type":"custom","name":"apply_patch","format":{"type":"grammar","syntax":"regex","definition":"^\\*\\*\\* Begin"}},
		{"type":"namespace","name":"ns","tools":[{"type":"custom","name":"note"}]}],
		"input":[{"role":"user","content":"patch it"},
		{"type":"custom_tool_call","call_id":"call_p","name":"apply_patch","input":"*** Begin Patch\n*** End Patch"},
		{"type":"custom_tool_call_output","call_id":"call_p","output":"Done!"}]}`
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []qp.Message{
		{Role: "user", Text: "patch it"},
		{Role: "assistant", ToolCalls: []qp.ToolCall{{ID: "call_p", Name: "apply_patch", Arguments: `{"input":"*** Begin Patch\n*** End Patch"}`, Custom: true}}},
		{Role: "tool", ToolCallID: "call_p", Text: "Done!"},
	}
	a, _ := json.Marshal(r.Conversation())
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatalf("got  %s\nwant %s", a, b)
	}
	set, _ := r.ToolSet()
	if len(set.Tools) != 2 || !set.IsCustom("apply_patch") || !set.IsCustom("note") || set.Tools[1].Namespace != "ns" ||
		!strings.Contains(set.Tools[0].Description, `^\*\*\* Begin`) {
		t.Fatalf("custom tools offered as %+v", set.Tools)
	}
}

// An item of only an id is an item reference, as OpenAI reads it (its type
// may be left out; openai-go leaves it out unless set): it was read as a
// message without a role.
func TestAnUntypedItemWithAnIDIsAReference(t *testing.T) {
	var r Request
	if err := json.Unmarshal([]byte(`{"model":"gpt-5","input":[{"role":"user","content":"hi"},{"id":"msg_x"}]}`), &r); err != nil {
		t.Fatal(err)
	}
	err := r.ValidateWith(func(id string) (*Item, *openai.Error) {
		if id == "msg_x" {
			return &Item{Type: "message", Role: "assistant", Content: json.RawMessage(`"hello"`)}, nil
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Conversation(); len(got) != 2 || got[1].Role != "assistant" || got[1].Text != "hello" {
		t.Fatalf("conversation %+v", got)
	}
	r = Request{}
	_ = json.Unmarshal([]byte(`{"model":"gpt-5","input":[{"role":"user","content":"hi"},{"id":"msg_y"}]}`), &r)
	if err := r.Validate(); err == nil || err.Param != "input[1].id" {
		t.Fatalf("an unknown untyped reference: %+v", err)
	}
}

// An item field of the wrong JSON type is named by its path, as a content
// part's is: the whole input was refused as "must be a string or a list of
// items", which it was.
func TestAnItemFieldOfTheWrongTypeIsNamed(t *testing.T) {
	for body, want := range map[string]string{
		`{"model":"gpt-5","input":[{"role":1,"content":"x"}]}`:                                           "input[0].role must be a string, not a number",
		`{"model":"gpt-5","input":[{"role":"user","content":"a"},{"type":"function_call","call_id":1}]}`: "input[1].call_id must be a string, not a number",
		`{"model":"gpt-5","input":[{"type":"function_call","name":"f","arguments":{}}]}`:                 "input[0].arguments must be a string, not an object",
		`{"model":"gpt-5","input":[{"type":5}]}`:                                                         "input[0].type must be a string, not a number",
		`{"model":"gpt-5","input":[{"role":"user","content":"a"},7]}`:                                    "input[1] must be an item (an object), not 7",
		`{"model":"gpt-5","input":["hi"]}`:                                                               "input[0] must be an item (an object), not a string",
		`{"model":"gpt-5","input":{"role":"user"}}`:                                                      "input must be a string or a list of items, not an object",
	} {
		var r Request
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		err := r.Validate()
		if err == nil || err.Message != want {
			t.Errorf("%s: %v, want %q", body, err, want)
			continue
		}
		if param := strings.SplitN(want, " ", 2)[0]; err.Param != param {
			t.Errorf("%s: param %q, want %q", body, err.Param, param)
		}
	}
}

// A tool_choice that needs a tool, when the only tools are of types the
// model is not offered (a misspelt "function"), says which: it said
// "tool_choice requires tools" of a request that sent one.
func TestAChoiceOfNoOfferedToolNamesTheToolsNotOffered(t *testing.T) {
	var r Request
	if err := openai.Decode([]byte(`{"model":"m","input":"hi","tools":[{"type":"web_search"},{"type":"fucntion","name":"get"}],"tool_choice":"required"}`), &r); err != nil {
		t.Fatal(err)
	}
	_, err := r.ToolSet()
	const want = `tool_choice requires tools (not offered to the model: tools[0].type "web_search", tools[1].type "fucntion"; only function, custom and namespace tools are)`
	if err == nil || err.Message != want {
		t.Fatalf("%+v\nwant %s", err, want)
	}
}

// A call item that lacks its call_id or its name is told which, at its
// param: a function_call without a name was told at input[N].call_id.
func TestACallItemNamesWhatItLacks(t *testing.T) {
	for item, want := range map[string][2]string{
		`{"type":"function_call","call_id":"c1","arguments":"{}"}`: {"input[1].name", "input[1]: a function_call needs call_id and name; name is missing"},
		`{"type":"function_call","name":"f","arguments":"{}"}`:     {"input[1].call_id", "input[1]: a function_call needs call_id and name; call_id is missing"},
		`{"type":"custom_tool_call","call_id":"c1","input":"x"}`:   {"input[1].name", "input[1]: a custom_tool_call needs call_id and name; name is missing"},
	} {
		err := validated(`{"model":"m","input":[{"role":"user","content":"hi"},` + item + `]}`)
		if err == nil || err.Param != want[0] || err.Message != want[1] {
			t.Errorf("%s: %+v, want %s: %s", item, err, want[0], want[1])
		}
	}
}

// Items the proxy takes but does not read whole are still held to the
// API's rules: a call output needs its output (one without was told to
// Qwen as an empty result), and a reasoning item's summary, which Qwen does
// not need (it keeps its own reasoning), must be a list of parts. Both were
// taken.
func TestOutputsAndReasoningItemsAreChecked(t *testing.T) {
	for item, want := range map[string][2]string{
		`{"type":"function_call_output","call_id":"c1"}`:               {"input[1].output", "input[1]: a function_call_output needs output (a string or a list of content parts)"},
		`{"type":"function_call_output","call_id":"c1","output":null}`: {"input[1].output", "input[1]: a function_call_output needs output (a string or a list of content parts)"},
		`{"type":"custom_tool_call_output","call_id":"c1"}`:            {"input[1].output", "input[1]: a custom_tool_call_output needs output (a string or a list of content parts)"},
		`{"type":"reasoning","summary":5}`:                             {"input[1].summary", "input[1].summary must be an array of summary parts, not 5"},
		`{"type":"reasoning","summary":"thought"}`:                     {"input[1].summary", "input[1].summary must be an array of summary parts, not a string"},
	} {
		err := validated(`{"model":"m","input":[{"role":"user","content":"hi"},` + item + `]}`)
		if err == nil || err.Param != want[0] || err.Message != want[1] {
			t.Errorf("%s: %+v, want %s: %s", item, err, want[0], want[1])
		}
	}
	for _, item := range []string{
		`{"type":"function_call_output","call_id":"c1","output":""}`,
		`{"type":"reasoning","summary":[]}`,
		`{"type":"reasoning","summary":[{"type":"summary_text","text":"t"}],"encrypted_content":null}`,
		`{"type":"reasoning"}`,
	} {
		if err := validated(`{"model":"m","input":[{"role":"user","content":"hi"},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},` + item + `]}`); err != nil {
			t.Errorf("%s: %+v", item, err)
		}
	}
}

// A value out of its range is told what it was.
func TestAValueOutOfRangeIsToldWhatItWas(t *testing.T) {
	for extra, want := range map[string]string{
		`"temperature":2.5`:     "temperature must be between 0 and 2, not 2.5",
		`"top_p":-1`:            "top_p must be between 0 and 1, not -1",
		`"max_output_tokens":0`: "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 0 instead.",
	} {
		err := validated(`{"model":"m","input":"hi",` + extra + `}`)
		if err == nil || err.Message != want {
			t.Errorf("%s: %+v, want %s", extra, err, want)
		}
	}
}

// A content list whose element is no object names the element; content of
// another type says what it was.
func TestAContentElementOfTheWrongTypeIsNamed(t *testing.T) {
	for content, want := range map[string]string{
		`[{"type":"input_text","text":"a"},"b"]`: "input[0].content[1] must be a content part (an object), not a string",
		`5`:                                      "input[0].content must be a string or a list of content parts, not 5",
	} {
		err := validated(`{"model":"m","input":[{"role":"user","content":` + content + `}]}`)
		if err == nil || err.Message != want {
			t.Errorf("%s: %+v, want %s", content, err, want)
		}
	}
}

// A message item whose role is null or absent is told its role is
// required, not that it is "".
func TestAMessageItemWithoutItsRoleIsToldSo(t *testing.T) {
	for _, it := range []string{`{"role":null,"content":"hi"}`, `{"type":"message","content":"hi"}`} {
		err := validated(`{"model":"m","input":[` + it + `]}`)
		if err == nil || err.Param != "input[0].role" || err.Message != "input[0].role is required (user, assistant, system or developer)" {
			t.Errorf("%s: %+v", it, err)
		}
	}
}

// validated is the first error of decoding a Responses request and
// validating it, or nil.
func validated(body string) *openai.Error {
	var r Request
	if err := openai.Decode([]byte(body), &r); err != nil {
		return err
	}
	return r.Validate()
}

// A Chat Completions-shaped tool sent to the Responses API is told that
// its name is missing and where a Responses tool has it; it was told its
// name must be 1-64 letters.
func TestAChatShapedToolIsToldTheFlatShape(t *testing.T) {
	err := validated(`{"model":"m","input":"hi","tools":[{"type":"function","function":{"name":"f"}}]}`)
	if err == nil || err.Param != "tools[0].name" || err.Code != "missing_required_parameter" || !strings.Contains(err.Message, "is flat") {
		t.Fatalf("%+v", err)
	}
}

// An input with nothing new for Qwen (no user message, no call output) is
// a 400, as Chat Completions' messages without one are: it was sent to
// Qwen as an empty user turn.
func TestAnInputWithNothingNewIsRefused(t *testing.T) {
	for _, input := range []string{
		`[{"role":"system","content":"be terse"}]`,
		`[{"role":"developer","content":"be terse"}]`,
		`[{"role":"assistant","content":"hello"}]`,
		`[{"role":"system","content":"x"},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"}]`,
	} {
		err := validated(`{"model":"m","input":` + input + `}`)
		if err == nil || err.Param != "input" || !strings.Contains(err.Message, "at least one user message or function_call_output") {
			t.Errorf("%s: %+v", input, err)
		}
	}
	for _, input := range []string{`"hi"`, `[{"type":"function_call_output","call_id":"c1","output":"42"}]`} {
		if err := validated(`{"model":"m","input":` + input + `}`); err != nil {
			t.Errorf("%s: %+v", input, err)
		}
	}
}

// The hosted file search tool is not offered to the model, but its
// max_num_results is held to OpenAI's definition, an integer from 1 to 50,
// as the other hosted tools' settings are (web search, image generation),
// also in an additional_tools item; any value passed.
func TestFileSearchMaxNumResultsIsChecked(t *testing.T) {
	validate := func(tools string) *openai.Error {
		t.Helper()
		var r Request
		if err := openai.Decode([]byte(`{"model":"gpt-5","input":"find it","tools":[`+tools+`]}`), &r); err != nil {
			t.Fatal(err)
		}
		return r.Validate()
	}
	for _, tool := range []string{
		`{"type":"file_search","vector_store_ids":["vs_1"]}`,
		`{"type":"file_search","vector_store_ids":["vs_1"],"max_num_results":1}`,
		`{"type":"file_search","vector_store_ids":["vs_1"],"max_num_results":50}`,
		`{"type":"file_search","vector_store_ids":["vs_1"],"max_num_results":2e1}`,
		`{"type":"file_search","vector_store_ids":["vs_1"],"max_num_results":null}`,
	} {
		if err := validate(tool); err != nil {
			t.Errorf("%s: %v", tool, err)
		}
	}
	for tool, want := range map[string]string{
		`{"type":"file_search","vector_store_ids":["vs_1"],"max_num_results":0}`:   "tools[0].max_num_results must be between 1 and 50, not 0",
		`{"type":"file_search","vector_store_ids":["vs_1"],"max_num_results":51}`:  "tools[0].max_num_results must be between 1 and 50, not 51",
		`{"type":"file_search","vector_store_ids":["vs_1"],"max_num_results":2.5}`: "tools[0].max_num_results must be an integer",
		`{"type":"file_search","vector_store_ids":["vs_1"],"max_num_results":"5"}`: "tools[0].max_num_results must be an integer",
	} {
		err := validate(tool)
		if err == nil || err.Status != 400 || err.Param != "tools[0].max_num_results" || !strings.HasPrefix(err.Message, want) {
			t.Errorf("%s: %+v, want a 400 %s…", tool, err, want)
		}
	}
}

// An input of items none of which tells the model anything (a reasoning
// item alone, which Qwen does not take) is refused as one without a user
// message or function_call_output, which it is: until 2026-12-06 it was
// told that input was required and empty, beside the item it had sent.
func TestAnInputOfReasoningAloneSaysWhatItLacks(t *testing.T) {
	for _, input := range []string{`[{"type":"reasoning","summary":[]}]`, `[{"type":"reasoning","summary":[]},{"role":"assistant","content":"a"}]`} {
		var r Request
		if err := json.Unmarshal([]byte(`{"model":"m","input":`+input+`}`), &r); err != nil {
			t.Fatal(err)
		}
		err := r.Validate()
		if err == nil || err.Param != "input" || err.Code != "invalid_value" || err.Message != "input must contain at least one user message or function_call_output" {
			t.Errorf("%s: %+v, want the 400 saying what input lacks", input, err)
		}
	}
	var r Request
	if err := json.Unmarshal([]byte(`{"model":"m","input":[]}`), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err == nil || err.Code != "missing_required_parameter" {
		t.Errorf("input []: %+v, want missing_required_parameter", err)
	}
}
