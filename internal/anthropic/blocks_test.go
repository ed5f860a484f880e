package anthropic

import (
	"strings"
	"testing"

	"qwenproxy/internal/openai"
)

// A bad block is told as that block: a block of a type the proxy does not
// read is refused by its type, even when one of its fields has another JSON
// type than Block's (a web_search_tool_result's content), and a read block's
// field of the wrong type is named. All were "messages.0.content: must be a
// string or a list of content blocks", though the content was such a list.
func TestABadBlockIsToldAsThatBlock(t *testing.T) {
	const serverResult = `{"type":"web_search_tool_result","tool_use_id":5,"content":{"type":"web_search_tool_result_error"}}`
	for content, want := range map[string]string{
		`[` + serverResult + `,{"type":"text","text":"use it"}]`:                            `messages.0.content.0: "web_search_tool_result" blocks are not supported in user messages (text, image, document, search_result, tool_result only)`,
		`[{"type":"tool_result","tool_use_id":"toolu_1","content":[` + serverResult + `]}]`: `messages.0.content.0.content.0: only text, image, document, search_result and tool_reference blocks are supported here, not "web_search_tool_result"`,
		`[{"type":"image","source":"https://example.com/cat.png"}]`:                         `messages.0.content.0.source: must be an object, not a string`,
		`[{"type":"text","text":5}]`:                                                        `messages.0.content.0.text: must be a string, not a number`,
		`[{"type":"text","text":"a"},{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"b"},{"type":"text","text":[]}]}]`: `messages.0.content.1.content.1.text: must be a string, not an array`,
		`[{"type":"image","source":{"type":"base64","media_type":5,"data":"x"}}]`:                                                                `messages.0.content.0.source.media_type: must be a string, not a number`,
		`[7]`:                      `messages.0.content.0: must be a content block (an object with a type), not 7`,
		`[{"type":7,"text":"hi"}]`: `messages.0.content.0.type: must be a string, not a number`,
		`[{"text":"hi"}]`:          `messages.0.content.0.type: Field required`,
		`[{"type":"image","source":{"type":"url","url":"ftp://example.com/cat.png"}}]`: `messages.0.content.0.source.url: must be an http(s) URL`,
		`[{"type":"document","source":{"type":"file","file_id":"f"}}]`:                 `messages.0.content.0.source: only text, content, base64 (PDF) and url documents are supported, not "file"`,
		`{"a":1}`: `messages.0.content: must be a string or a list of content blocks, not an object`,
	} {
		var r Request
		if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":`+content+`}]}`), &r); err != nil {
			t.Fatalf("%s: %v", content, err)
		}
		err := r.Validate(false)
		if err == nil || err.Message != want || err.Status != 400 {
			t.Errorf("%s:\n got %v\nwant %s", content, err, want)
		}
	}
}

// An earlier answer's thinking, which the proxy does not read (Qwen keeps
// its own reasoning), is still held to its fields' types; they were taken
// whatever they were. A block without its signature is taken, as clients
// that resend another model's reasoning send it.
func TestThinkingBlocksAreHeldToTheirTypes(t *testing.T) {
	for block, want := range map[string]string{
		`{"type":"thinking","thinking":5,"signature":"s"}`:  "messages.1.content.0.thinking: must be a string, not 5",
		`{"type":"thinking","thinking":"t","signature":{}}`: "messages.1.content.0.signature: must be a string, not an object",
		`{"type":"redacted_thinking","data":[1]}`:           "messages.1.content.0.data: must be a string, not an array",
		`{"type":"thinking","thinking":"t"}`:                "",
		`{"type":"redacted_thinking","data":"abc"}`:         "",
	} {
		err := validated(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[` + block + `,{"type":"text","text":"y"}]},{"role":"user","content":"z"}]}`)
		if want == "" && err != nil || want != "" && (err == nil || err.Message != want) {
			t.Errorf("%s:\n got %v\nwant %q", block, err, want)
		}
	}
}

// Search results (Anthropic's search_result blocks: a RAG tool's results, or
// a user's sources) reach the model as text, in a user message or a tool
// result: their title and source, then their text. They were refused.
func TestSearchResultsAreText(t *testing.T) {
	const searchResult = `{"type":"search_result","source":"https://example.com/a","title":"Oslo facts","content":[{"type":"text","text":"Oslo is the capital."},{"type":"text","text":"It is in Norway."}],"citations":{"enabled":true}}`
	const want = "Search result: Oslo facts\nSource: https://example.com/a\n\nOslo is the capital.\n\nIt is in Norway."
	var r Request
	body := `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[` + searchResult + `,{"type":"text","text":"Where is Oslo?"}]},
		{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"search","input":{"q":"Oslo"}}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[` + searchResult + `]}]}]}`
	if err := openai.Decode([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(false); err != nil {
		t.Fatal(err)
	}
	c := r.Conversation()
	if len(c) != 3 || c[0].Text != want+"\nWhere is Oslo?" || c[2].Role != "tool" || c[2].Text != want {
		t.Fatalf("conversation %+v", c)
	}
	for block, wantErr := range map[string]string{
		`{"type":"search_result","title":"t","content":[]}`:                              "messages.0.content.0.source: Field required",
		`{"type":"search_result","source":"s","content":[]}`:                             "messages.0.content.0.title: Field required",
		`{"type":"search_result","source":"s","title":"t","content":"x"}`:                "messages.0.content.0.content: must be a list of text blocks",
		`{"type":"search_result","source":"s","title":"t","content":[{"type":"image"}]}`: `messages.0.content.0.content.0: only text blocks are supported here, not "image"`,
	} {
		r = Request{}
		if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[`+block+`]}]}`), &r); err != nil {
			t.Fatal(err)
		}
		if err := r.Validate(false); err == nil || err.Message != wantErr {
			t.Errorf("%s: %v, want %s", block, err, wantErr)
		}
	}
}

// A field of the wrong type in a list is named by its element, as Anthropic
// names it (messages.1.role): it was messages.role, whichever message.
func TestATypeErrorNamesTheElementAsAnthropicDoes(t *testing.T) {
	for body, want := range map[string]string{
		`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"},{"role":1,"content":"y"}]}`:                              "messages.1.role: must be a string, not a number",
		`{"model":"m","max_tokens":5,"tools":[{"name":"a","input_schema":{}},{"name":5}],"messages":[]}`:                                "tools.1.name: must be a string, not a number",
		`{"model":"m","max_tokens":5,"stop_sequences":["a",1],"messages":[]}`:                                                           "stop_sequences.1: must be a string, not a number",
		`{"model":"m","max_tokens":5,"system":[{"type":"text","text":"a"},{"type":"text","text":"b","cache_control":5}],"messages":[]}`: "",
	} {
		var r Request
		wantError(t, body, openai.Decode([]byte(body), &r), want)
	}
}

// A tool_use block names the field it lacks, input among them (Anthropic
// requires it; one without was taken as {}).
func TestAToolUseBlockNamesWhatItLacks(t *testing.T) {
	for block, want := range map[string]string{
		`{"type":"tool_use","name":"f","input":{}}`:           "messages.1.content.0.id: Field required",
		`{"type":"tool_use","id":"t1","input":{}}`:            "messages.1.content.0.name: Field required",
		`{"type":"tool_use","id":"t1","name":"f"}`:            "messages.1.content.0.input: Field required",
		`{"type":"tool_use","id":"t1","name":"f","input":{}}`: "",
	} {
		body := `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[` + block +
			`]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}`
		wantError(t, block, validated(body), want)
	}
}

// A value out of its range is told what it was, as a value of the wrong
// type is.
func TestAValueOutOfRangeIsToldWhatItWas(t *testing.T) {
	for extra, want := range map[string]string{
		`"temperature":1.5`:                 "temperature: must be between 0 and 1, not 1.5",
		`"max_tokens":0`:                    "max_tokens: must be at least 1, not 0",
		`"output_config":{"effort":"huge"}`: `output_config.effort: must be one of low, medium, high, xhigh, max, not "huge"`,
	} {
		err := validated(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],` + extra + `}`)
		if err == nil || err.Message != want {
			t.Errorf("%s: %+v, want %s", extra, err, want)
		}
	}
}

// A tool_use's input that is null is missing; one of another type says
// what it was.
func TestAToolUsesInputMustBeAnObject(t *testing.T) {
	for input, want := range map[string]string{
		`null`: "messages.1.content.0.input: Field required",
		`[1]`:  "messages.1.content.0.input: must be an object, not an array",
	} {
		body := `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":` + input +
			`}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}`
		err := validated(body)
		if err == nil || err.Message != want {
			t.Errorf("%s: %+v, want %s", input, err, want)
		}
	}
}

// A message whose role is null or absent is told its role is required, not
// that it is "".
func TestAMessageWithoutItsRoleIsToldSo(t *testing.T) {
	for _, m := range []string{`{"role":null,"content":"hi"}`, `{"content":"hi"}`} {
		err := validated(`{"model":"m","max_tokens":5,"messages":[` + m + `]}`)
		if err == nil || err.Message != "messages.0.role: Field required" {
			t.Errorf("%s: %+v", m, err)
		}
	}
}

// wantError holds err, for the case named name, to want: none when want is
// "", else want as its message and the path before want's colon as its
// param.
func wantError(t *testing.T, name string, err *openai.Error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v", name, err)
	case want != "" && (err == nil || err.Message != want || err.Param != strings.Split(want, ":")[0]):
		t.Errorf("%s:\n got %+v\nwant %s", name, err, want)
	}
}

// validated is the first error of decoding a Messages request and
// validating it, or nil.
func validated(body string) *openai.Error {
	var r Request
	if err := openai.Decode([]byte(body), &r); err != nil {
		return err
	}
	return r.Validate(false)
}

// A message without content is told it is required (it was "must be a
// string or a list of content blocks, not a value of another type"), and
// top_k below 0 is refused, as Anthropic refuses it (it was taken).
func TestMissingContentAndANegativeTopKAreRefused(t *testing.T) {
	wantError(t, "no content", validated(`{"model":"m","max_tokens":5,"messages":[{"role":"user"}]}`), "messages.0.content: Field required")
	wantError(t, "top_k -1", validated(`{"model":"m","max_tokens":5,"top_k":-1,"messages":[{"role":"user","content":"x"}]}`), "top_k: must be at least 0, not -1")
	wantError(t, "top_k 0", validated(`{"model":"m","max_tokens":5,"top_k":0,"messages":[{"role":"user","content":"x"}]}`), "")
}

// Messages with no user message (an assistant's alone, a system message's)
// are refused, as the other APIs refuse them: they were sent to Qwen as an
// empty user turn. A tool result is a user message.
func TestMessagesNeedAUserMessage(t *testing.T) {
	for _, msgs := range []string{
		`[{"role":"assistant","content":""}]`,
		`[{"role":"assistant","content":"hi"}]`,
		`[{"role":"system","content":"be brief"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]}]`,
	} {
		wantError(t, msgs, validated(`{"model":"m","max_tokens":5,"messages":`+msgs+`}`), "messages: at least one user message is required")
	}
	wantError(t, "a tool result", validated(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"4"}]}]}`), "")
}

// A text block without its text (absent or null) is told it lacks it, as
// Anthropic tells it, wherever text blocks go: it was taken as an empty
// text, the client's malformed block passing unseen.
func TestATextBlockNamesItsMissingText(t *testing.T) {
	const user = `{"role":"user","content":"hi"}`
	for _, c := range []struct{ system, message, want string }{
		{`[{"type":"text"}]`, user, "system.0.text: Field required"},
		{`[{"type":"text","text":"s"},{"type":"text","text":null}]`, user, "system.1.text: Field required"},
		{`"s"`, `{"role":"user","content":[{"type":"text","text":"hi"},{"type":"text"}]}`, "messages.0.content.1.text: Field required"},
		{`"s"`, `{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text"}]}]}`, "messages.0.content.0.content.0.text: Field required"},
		{`"s"`, `{"role":"user","content":[{"type":"document","source":{"type":"content","content":[{"type":"text"}]}},{"type":"text","text":"q"}]}`, "messages.0.content.0.source.content.0.text: Field required"},
		{`"s"`, `{"role":"user","content":[{"type":"search_result","source":"s","title":"t","content":[{"type":"text"}]}]}`, "messages.0.content.0.content.0.text: Field required"},
		{`"s"`, `{"role":"system","content":[{"type":"text"}]},` + user, "messages.0.content.0.text: Field required"},
		// An empty text is a text: taken beside other content, as before.
		{`[{"type":"text","text":""}]`, `{"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"hi"}]}`, ""},
	} {
		body := `{"model":"m","max_tokens":5,"system":` + c.system + `,"messages":[` + c.message + `]}`
		wantError(t, body, validated(body), c.want)
	}
}

// A plain-text document without its text (a text source without data, a
// content source without content) is told it lacks it, as a PDF without
// its data is: it was taken as an empty document, the model told nothing
// of it.
func TestADocumentNamesItsMissingText(t *testing.T) {
	for source, want := range map[string]string{
		`{"type":"text","media_type":"text/plain"}`:             "messages.0.content.0.source.data: Field required",
		`{"type":"text","media_type":"text/plain","data":""}`:   "messages.0.content.0.source.data: Field required",
		`{"type":"text","media_type":"text/plain","data":null}`: "messages.0.content.0.source.data: Field required",
		`{"type":"content"}`:                                        "messages.0.content.0.source.content: Field required",
		`{"type":"content","content":null}`:                         "messages.0.content.0.source.content: Field required",
		`{"type":"text","media_type":"text/plain","data":"d"}`:      "",
		`{"type":"content","content":"d"}`:                          "",
		`{"type":"content","content":[{"type":"text","text":"d"}]}`: "",
	} {
		for _, where := range []string{"a message", "a tool result"} {
			doc := `{"type":"document","source":` + source + `}`
			content, path := `[`+doc+`,{"type":"text","text":"q"}]`, want
			if where == "a tool result" {
				content = `[{"type":"tool_result","tool_use_id":"t1","content":[` + doc + `]}]`
				path = strings.Replace(want, "content.0.source", "content.0.content.0.source", 1)
			}
			wantError(t, where+" "+source, validated(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":`+content+`}]}`), path)
		}
	}
}
