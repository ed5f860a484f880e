package anthropic

import (
	"encoding/json"
	"strings"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

func TestConversation(t *testing.T) {
	var r Request
	body := `{"model":"claude-x","max_tokens":10,
		"system":[{"type":"text","text":"You are Claude Code."},{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],
		"messages":[
		{"role":"user","content":"write a file"},
		{"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"Sure."},
			{"type":"tool_use","id":"toolu_1","name":"Write","input":{"path":"a","content":"<b>"}},{"type":"text","text":" Done."}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","is_error":true,"content":[{"type":"text","text":"denied"}]},
			{"type":"text","text":"try again"}]}]}`
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(false); err != nil {
		t.Fatal(err)
	}
	got := r.Conversation()
	want := []qp.Message{
		{Role: "system", Text: "You are Claude Code.\n\nBe brief."},
		{Role: "user", Text: "write a file"},
		// Anthropic's toolu_ ids reach the core as its own call_ ids.
		{Role: "assistant", Text: "Sure. Done.", ToolCalls: []qp.ToolCall{{ID: "call_1", Name: "Write", Arguments: `{"path":"a","content":"<b>"}`}}},
		{Role: "tool", ToolCallID: "call_1", Text: "denied", IsError: true},
		{Role: "user", Text: "try again"},
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatalf("got  %s\nwant %s", a, b)
	}
}

func TestToolSet(t *testing.T) {
	cases := []struct {
		choice, mode string
	}{
		{`{"type":"auto"}`, "auto"}, {`{"type":"any"}`, "required"}, {`{"type":"tool","name":"Bash"}`, "function"}, {`{"type":"none"}`, "none"},
	}
	for _, c := range cases {
		var r Request
		body := `{"tools":[{"name":"Bash","input_schema":{"type":"object"}}],"tool_choice":` + c.choice + `}`
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		set, err := r.ToolSet()
		if err != nil || set.Choice.Mode != c.mode {
			t.Fatalf("%s: %+v %v", c.choice, set, err)
		}
	}
}

func TestEstimateTokens(t *testing.T) {
	r := Request{Messages: []Message{{Role: "user", Content: json.RawMessage(`"abcdefghabcdefgh"`)}}}
	cjk := Request{Messages: []Message{{Role: "user", Content: json.RawMessage(`"你好世界"`)}}}
	if n := EstimateTokens(&r); n != 4+4 {
		t.Fatalf("16 ASCII characters: %d", n)
	}
	if n := EstimateTokens(&cjk); n != 4+4 {
		t.Fatalf("4 CJK characters: %d", n)
	}
}

// Claude Code's "mid-conversation-system" beta puts part of its context in a
// system message among the others; a role other than these three is refused.
func TestSystemMessageAmongTheMessages(t *testing.T) {
	var r Request
	body := `{"model":"claude-x","max_tokens":10,"system":"Top.","messages":[
		{"role":"user","content":"hello"},
		{"role":"system","content":[{"type":"text","text":"# Environment"},{"type":"text","text":"cwd: /w"}]},
		{"role":"user","content":"go on"}]}`
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(false); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(r.Conversation())
	b, _ := json.Marshal([]qp.Message{{Role: "system", Text: "Top."}, {Role: "user", Text: "hello"},
		{Role: "system", Text: "# Environment\n\ncwd: /w"}, {Role: "user", Text: "go on"}})
	if string(a) != string(b) {
		t.Fatalf("got  %s\nwant %s", a, b)
	}
	var bad Request
	if err := json.Unmarshal([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"tool","content":"x"}]}`), &bad); err != nil {
		t.Fatal(err)
	}
	if err := bad.Validate(false); err == nil || err.Param != "messages.0.role" {
		t.Fatalf("role tool: %v", err)
	}
}

// A message whose content is null is an empty text: an assistant's passes
// (it says nothing more), a user's is refused as empty — as when content
// was read by trying a string first (json.Unmarshal takes null as one).
func TestNullContentIsAnEmptyText(t *testing.T) {
	var r Request
	if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null}]}`), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(false); err != nil {
		t.Fatalf("assistant null: %v", err)
	}
	if c := r.Conversation(); len(c) != 2 || c[1].Role != "assistant" || c[1].Text != "" {
		t.Fatalf("conversation %+v", c)
	}
	r = Request{}
	if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":null}]}`), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(false); err == nil || !strings.Contains(err.Message, "must not be empty") {
		t.Fatalf("user null: %v", err)
	}
}

// Plain-text documents (source type text, or content blocks) in a user
// message or a tool result reach the model as text, their title and
// context first; a PDF is refused, naming the block, as a document block
// was before (every document was a 400).
func TestPlainTextDocuments(t *testing.T) {
	var r Request
	body := `{"model":"m","max_tokens":5,"messages":[
		{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"The grass is green."},
			"title":"Facts","context":"From the handbook.","citations":{"enabled":true}},{"type":"text","text":"What colour is the grass?"}]},
		{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Read","input":{"path":"notes"}}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[
			{"type":"document","source":{"type":"content","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]}}]}]}]}`
	if err := openai.Decode([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(false); err != nil {
		t.Fatal(err)
	}
	c := r.Conversation()
	if len(c) != 3 || c[0].Text != "Document: Facts\nFrom the handbook.\n\nThe grass is green.\nWhat colour is the grass?" || c[2].Role != "tool" || c[2].Text != "one\n\ntwo" {
		a, _ := json.Marshal(c)
		t.Fatalf("conversation %s", a)
	}
	for param, msg := range map[string]string{
		"messages.0.content.0.source.media_type":    `{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"text/html","data":"PGI+"}}]}`,
		"messages.0.content.0.content.0.source.url": `{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"document","source":{"type":"url","url":"ftp://example.com/a.pdf"}}]}]}`,
		"messages.0.content.0.source":               `{"role":"user","content":[{"type":"document"}]}`,
	} {
		var bad Request
		if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[`+msg+`]}`), &bad); err != nil {
			t.Fatal(err)
		}
		if err := bad.Validate(false); err == nil || err.Param != param {
			t.Errorf("%s: %v, want a 400 for %s", msg, err, param)
		}
	}
	// A PDF (base64) is a document to attach, named by its title.
	var pdf Request
	if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document","title":"Q3","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}}]}]}`), &pdf); err != nil {
		t.Fatal(err)
	}
	if err := pdf.Validate(false); err != nil {
		t.Fatal(err)
	}
	if c := pdf.Conversation(); len(c) != 1 || len(c[0].Documents) != 1 || c[0].Documents[0].Name != "Q3" || c[0].Documents[0].URL != "data:application/pdf;base64,JVBERi0=" || c[0].Text != "Document: Q3" {
		a, _ := json.Marshal(c)
		t.Fatalf("conversation %s", a)
	}
	// A PDF by URL is a document to attach, fetched by the server (under
	// ALLOW_IMAGE_URLS), also in a tool result: it was a 400 whatever the
	// policy.
	var byURL Request
	if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://example.com/a.pdf"}}]},`+
		`{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Read","input":{}}]},`+
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"document","title":"B","source":{"type":"url","url":"http://example.com/b"}}]}]}]}`), &byURL); err != nil {
		t.Fatal(err)
	}
	if err := byURL.Validate(false); err != nil {
		t.Fatal(err)
	}
	if c := byURL.Conversation(); len(c) != 3 || len(c[0].Documents) != 1 || c[0].Documents[0].URL != "https://example.com/a.pdf" || c[0].Documents[0].Name != "" ||
		len(c[2].Documents) != 1 || c[2].Documents[0].URL != "http://example.com/b" || c[2].Documents[0].Name != "B" {
		a, _ := json.Marshal(c)
		t.Fatalf("conversation %s", a)
	}
}

// An image block Anthropic takes that the proxy cannot (a file source of
// the Files API) or whose base64 is declared as no image (a PDF's media
// type on an image block) is a 400 naming the field and what to send; both
// were "source: must be base64 data of an image/* media_type, or an
// http(s) url", for a file source that is neither, with no field to fix.
func TestImageSourcesTheProxyCannotTakeAreNamed(t *testing.T) {
	for source, want := range map[string][2]string{
		`{"type":"file","file_id":"file_011CNha8iCJcU1wXNR6q4V8w"}`:              {"messages.0.content.0.source.type", "Files API"},
		`{"type":"base64","media_type":"application/pdf","data":"JVBERi0xLjQ="}`: {"messages.0.content.0.source.media_type", `not "application/pdf"`},
	} {
		var r Request
		if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":`+source+`}]}]}`), &r); err != nil {
			t.Fatal(err)
		}
		err := r.Validate(false)
		if err == nil || err.Param != want[0] || !strings.Contains(err.Message, want[1]) {
			t.Errorf("%s: want a 400 at %s saying %q, got %+v", source, want[0], want[1], err)
		}
	}
}

// Adaptive thinking takes no budget_tokens, disabled thinking neither a
// budget nor display: Anthropic refuses each as an extra input, naming it
// by the thinking's type. They were taken silently.
func TestThinkingRefusesTheFieldsItsTypeDoesNotTake(t *testing.T) {
	validate := func(thinking string) *openai.Error {
		t.Helper()
		var r Request
		if err := openai.Decode([]byte(`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":"hi"}],"thinking":`+thinking+`}`), &r); err != nil {
			t.Fatal(err)
		}
		return r.Validate(false)
	}
	for _, thinking := range []string{
		`{"type":"adaptive"}`, `{"type":"adaptive","display":"omitted"}`, `{"type":"disabled"}`,
		`{"type":"enabled","budget_tokens":1024}`, `{"type":"enabled","budget_tokens":1024,"display":"summarized"}`,
	} {
		if err := validate(thinking); err != nil {
			t.Errorf("%s: %v", thinking, err)
		}
	}
	for thinking, param := range map[string]string{
		`{"type":"adaptive","budget_tokens":2048}`:     "thinking.adaptive.budget_tokens",
		`{"type":"adaptive","budget_tokens":null}`:     "thinking.adaptive.budget_tokens",
		`{"type":"disabled","budget_tokens":1024}`:     "thinking.disabled.budget_tokens",
		`{"type":"disabled","display":"summarized"}`:   "thinking.disabled.display",
		`{"type":"adaptive","budget_tokens":"lots"}`:   "thinking.adaptive.budget_tokens",
		`{"budget_tokens":1024,"type":"adaptive"}`:     "thinking.adaptive.budget_tokens",
		`{"type":"disabled","display":"omitted"}`:      "thinking.disabled.display",
		`{"type":"adaptive","budget_tokens":1024.0}`:   "thinking.adaptive.budget_tokens",
		`{"type":"disabled","budget_tokens":0}`:        "thinking.disabled.budget_tokens",
		`{"type":"adaptive","budget_tokens":99999999}`: "thinking.adaptive.budget_tokens",
	} {
		err := validate(thinking)
		if err == nil || err.Status != 400 || err.Type != openai.TypeInvalidRequest || err.Param != param || err.Message != param+": Extra inputs are not permitted" {
			t.Errorf("%s: %+v, want a 400 %s: Extra inputs are not permitted", thinking, err, param)
		}
	}
}
