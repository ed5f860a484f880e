package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// compacted is POST /v1/responses/compact's answer as a test reads it.
type compacted struct {
	ID        string            `json:"id"`
	Object    string            `json:"object"`
	CreatedAt int64             `json:"created_at"`
	Output    []json.RawMessage `json:"output"`
	Usage     struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

// compact calls POST /v1/responses/compact, failing the test on anything
// but a compacted response ending with its one compaction item.
func compact(t *testing.T, e *env, body string) compacted {
	t.Helper()
	resp := postJSON(t, e, "/v1/responses/compact", body, nil)
	b := readBody(t, resp)
	var c compacted
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(b), &c) != nil || c.Object != "response.compaction" ||
		!strings.HasPrefix(c.ID, "resp_") || c.CreatedAt == 0 || len(c.Output) == 0 || c.Usage.TotalTokens == 0 {
		t.Fatalf("compact %s: %d %s", body, resp.StatusCode, b)
	}
	var last struct{ ID, Type, EncryptedContent string }
	last.EncryptedContent = "-"
	if err := json.Unmarshal(c.Output[len(c.Output)-1], &struct {
		ID               *string `json:"id"`
		Type             *string `json:"type"`
		EncryptedContent *string `json:"encrypted_content"`
	}{&last.ID, &last.Type, &last.EncryptedContent}); err != nil || last.Type != "compaction" || !strings.HasPrefix(last.ID, "cmp_") ||
		!strings.HasPrefix(last.EncryptedContent, "qwenproxy.compaction.v1:") || len(last.EncryptedContent) == len("qwenproxy.compaction.v1:") {
		t.Fatalf("compact's last item: %s", c.Output[len(c.Output)-1])
	}
	return c
}

// TestResponsesCompactIsQwensSummaryInTheChat: POST /v1/responses/compact
// (the SDKs' responses.compact, the Agents SDK's
// OpenAIResponsesCompactionSession) was a 404, and a compaction item in a
// request's input a 400. Qwen is asked for the summary in the
// conversation's own chat, recorded as a call; the answer keeps the
// input's user messages, then a compaction item the proxy reads back: the
// compacted conversation goes on in the same chat (after a restart too),
// telling it only the new turn; one that ends with the item asks the model
// to go on. previous_response_id compacts that response's chat. What cannot
// be read is a clear 400, recorded nowhere.
func TestResponsesCompactIsQwensSummaryInTheChat(t *testing.T) {
	storetest.EachBackend(t, testResponsesCompactIsQwensSummaryInTheChat)
}

func testResponsesCompactIsQwensSummaryInTheChat(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	out := responsesCall(t, e, `{"model":"qwen3-max","instructions":"Be terse.","input":"hello"}`)
	answer, _ := json.Marshal(out[len(out)-1])
	history := `{"role":"user","content":"hello"},` + string(answer)

	c := compact(t, e, `{"model":"qwen3-max","instructions":"Be terse.","input":[`+history+`],"prompt_cache_key":"k","tools":[]}`)
	if told := lastUpstreamMessage(t, e); !strings.HasPrefix(told, "Summarize the conversation so far") {
		t.Fatalf("the summary was asked as %q", told)
	}
	var kept struct {
		ID, Type, Role, Status string
		Content                []struct{ Type, Text string }
	}
	if len(c.Output) != 2 || json.Unmarshal(c.Output[0], &kept) != nil || kept.Type != "message" || kept.Role != "user" ||
		!strings.HasPrefix(kept.ID, "msg_") || len(kept.Content) != 1 || kept.Content[0].Type != "input_text" || kept.Content[0].Text != "hello" {
		t.Fatalf("compacted output %s", c.Output)
	}
	e.sync()
	row := e.lastRow()
	if row.Path != "/v1/responses/compact" || row.Status != "success" || row.HTTPStatus != 200 || !strings.Contains(row.OpenAIResponse.String, `"object":"response.compaction"`) {
		t.Fatalf("the compaction's record: %+v", row)
	}

	// The compacted conversation finds the chat — after a restart too, by
	// the key stored — and only its new turn goes up.
	e.restart()
	items := make([]string, 0, len(c.Output)+1)
	for _, it := range c.Output {
		items = append(items, string(it))
	}
	compactedInput := strings.Join(items, ",")
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","instructions":"Be terse.","input":[`+compactedInput+`,{"role":"user","content":"go on"}]}`, nil)
	b := readBody(t, resp)
	var next struct {
		ID     string
		Output []json.RawMessage
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(b), &next) != nil {
		t.Fatalf("the compacted conversation: %d %s", resp.StatusCode, b)
	}
	if told := lastUpstreamMessage(t, e); told != "go on" {
		t.Fatalf("after the compaction the chat was told %q", told)
	}
	e.sync()
	listed := readBody(t, send(t, e, http.MethodGet, "/v1/responses/"+next.ID+"/input_items?order=asc", "", "", nil))
	if !strings.Contains(listed, `"type":"compaction"`) || !strings.Contains(listed, `"encrypted_content":"qwenproxy.compaction.v1:`) {
		t.Fatalf("input_items: %s", listed)
	}

	// Compacting that response by its id (no input): the output keeps the
	// user messages of its input, as its input items list them; sent back
	// with nothing after the compaction item, it asks the model to go on
	// from the summary.
	c = compact(t, e, `{"model":"qwen3-max","previous_response_id":"`+next.ID+`"}`)
	var users []string
	for _, it := range c.Output[:len(c.Output)-1] {
		var m struct {
			Role    string
			Content []struct{ Text string }
		}
		if json.Unmarshal(it, &m) != nil || m.Role != "user" || len(m.Content) != 1 {
			t.Fatalf("compacted by previous_response_id: %s", c.Output)
		}
		users = append(users, m.Content[0].Text)
	}
	if strings.Join(users, "|") != "hello|go on" {
		t.Fatalf("compacted by previous_response_id, the user messages %q", users)
	}
	items = items[:0]
	for _, it := range c.Output {
		items = append(items, string(it))
	}
	responsesCall(t, e, `{"model":"qwen3-max","instructions":"Be terse.","input":[`+strings.Join(items, ",")+`]}`)
	if told := lastUpstreamMessage(t, e); !strings.HasPrefix(told, "Go on from your summary above") {
		t.Fatalf("after a trailing compaction item the chat was told %q", told)
	}
	if n := e.sim.Chats(); n != 1 {
		t.Fatalf("the conversation took %d Qwen chats", n)
	}
	// The compacted response's id carries its session: previous_response_id
	// naming it goes on from it (in the chat while it is the session's
	// latest answer: TestCompactBranchesFromAnEarlierResponse). The chat
	// has answered the turn above since, which was asked from it: the turn
	// is asked again there, under the summary, told only its input, not
	// that turn (a branch told what the compaction kept and its summary
	// comes only from further back). GET serves it as it was answered
	// (TestACompactedResponseIsRetrievable).
	underSummary := parentSentToQwen(t, e)
	responsesCall(t, e, `{"model":"qwen3-max","previous_response_id":"`+c.ID+`","input":"and now?"}`)
	if told := lastUpstreamMessage(t, e); told != "and now?" || parentSentToQwen(t, e) != underSummary {
		t.Fatalf("continued from the compaction's id, the chat was told %q under %s (want under %s)", told, parentSentToQwen(t, e), underSummary)
	}
	if resp := send(t, e, http.MethodGet, "/v1/responses/"+c.ID, "", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET of a compacted response: %d", resp.StatusCode)
	}
	if n := e.sim.Chats(); n != 1 {
		t.Fatalf("the conversation took %d Qwen chats", n)
	}
	calls := len(e.rows())

	// Bad requests: a clear 400 naming the field, nothing recorded, nothing
	// upstream.
	upstream := len(upstreamCompletions(t, e.sim))
	big := `qwenproxy.compaction.v1:` + strings.Repeat("a", 300<<10)
	for _, bad := range []struct{ path, body, param, code string }{
		{"/v1/responses/compact", `{"input":"hi"}`, "model", "missing_required_parameter"},
		{"/v1/responses/compact", `{"model":"qwen3-max"}`, "input", "missing_required_parameter"},
		{"/v1/responses/compact", `{"model":"qwen3-max","input":"hi","conversation":"conv_x"}`, "conversation", "unsupported_parameter"},
		{"/v1/responses/compact", `{"model":"qwen3-max","input":[{"type":"compaction","encrypted_content":"gAAAAABpM0Yj"}]}`, "input[0].encrypted_content", "invalid_encrypted_content"},
		{"/v1/responses", `{"model":"qwen3-max","input":[{"type":"compaction","encrypted_content":"gAAAAABpM0Yj"},{"role":"user","content":"hi"}]}`, "input[0].encrypted_content", "invalid_encrypted_content"},
		{"/v1/responses", `{"model":"qwen3-max","input":[{"type":"compaction"},{"role":"user","content":"hi"}]}`, "input[0].encrypted_content", "missing_required_parameter"},
		{"/v1/responses", `{"model":"qwen3-max","input":[{"type":"compaction","encrypted_content":"` + big + `"},{"role":"user","content":"hi"}]}`, "input[0].encrypted_content", "string_above_max_length"},
	} {
		resp := postJSON(t, e, bad.path, bad.body, nil)
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != http.StatusBadRequest || env.Error.Param == nil || *env.Error.Param != bad.param || env.Error.Code == nil || *env.Error.Code != bad.code {
			t.Errorf("%s %.120s: %d %+v", bad.path, bad.body, resp.StatusCode, env.Error)
		}
	}
	e.sync()
	if n := len(e.rows()); n != calls {
		t.Fatalf("bad requests recorded: %d calls, want %d", n, calls)
	}
	if n := len(upstreamCompletions(t, e.sim)); n != upstream {
		t.Fatalf("bad requests went upstream: %d completions, want %d", n, upstream)
	}
}

// The compaction item holds its summary in plain words, so that what the
// record hides in the conversation it hides in the summary too: a summary
// repeating the caller's proxy key is recorded masked, in the compaction's
// answer and in the next request that sends the item back (base64 would
// carry it past the masking).
func TestACompactionsSummaryRecordsNoSecret(t *testing.T) {
	const key = "sk-proxy-compact-key-1"
	e := start(t, func(c *config.Config) { c.APIKeys = []string{key} })
	auth := map[string]string{"Authorization": "Bearer " + key}
	resp := postJSON(t, e, "/v1/responses/compact", `{"model":"qwen3-max","input":[{"role":"user","content":"my key is `+key+`"}]}`, auth)
	b := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || strings.Count(b, "my key is "+key) != 2 {
		t.Fatalf("compact (the simulator's summary repeats the turn it was told): %d %s", resp.StatusCode, b)
	}
	var c compacted
	if json.Unmarshal([]byte(b), &c) != nil || len(c.Output) == 0 {
		t.Fatalf("compact: %s", b)
	}
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":[`+string(c.Output[len(c.Output)-1])+`,{"role":"user","content":"go on"}]}`, auth)
	if b := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("the compacted conversation: %d %s", resp.StatusCode, b)
	}
	e.sync()
	rows := e.rows()
	if len(rows) != 2 {
		t.Fatalf("%d calls recorded", len(rows))
	}
	for _, r := range rows {
		if strings.Contains(r.OpenAIRequest.String+r.OpenAIResponse.String+r.QwenRequest.String+r.QwenResponse.String, key) {
			t.Errorf("call %s (%s) recorded the key:\n%s\n%s", r.RequestID, r.Path, r.OpenAIRequest.String, r.OpenAIResponse.String)
		}
	}
}

// A compaction made with only previous_response_id (no input) listed one
// phantom input item, an empty user message, whose id sent back as an
// item_reference was a 400 (its content empty). Its input items are none;
// one made with a string input lists that message; an empty list is
// refused, as POST /v1/responses refuses it.
func TestACompactionByPreviousResponseIDListsNoInputItems(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"hello"}`, nil)
	var first struct{ ID string }
	if b := readBody(t, resp); resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(b), &first) != nil {
		t.Fatalf("first: %d %s", resp.StatusCode, b)
	}
	byID := compact(t, e, `{"model":"qwen3-max","previous_response_id":"`+first.ID+`"}`)
	byString := compact(t, e, `{"model":"qwen3-max","input":"just this"}`)
	e.sync()
	type list struct {
		Data []struct {
			ID, Type, Role string
			Content        []struct{ Type, Text string }
		}
		FirstID *string `json:"first_id"`
	}
	read := func(id string) list {
		t.Helper()
		b := readBody(t, send(t, e, http.MethodGet, "/v1/responses/"+id+"/input_items", "", "", nil))
		var l list
		if json.Unmarshal([]byte(b), &l) != nil {
			t.Fatalf("input_items of %s: %s", id, b)
		}
		return l
	}
	if l := read(byID.ID); len(l.Data) != 0 || l.FirstID != nil {
		t.Fatalf("a compaction with no input lists %+v", l)
	}
	if l := read(byString.ID); len(l.Data) != 1 || l.Data[0].Role != "user" || len(l.Data[0].Content) != 1 || l.Data[0].Content[0].Text != "just this" {
		t.Fatalf("a compaction with a string input lists %+v", l)
	}
	resp = postJSON(t, e, "/v1/responses/compact", `{"model":"qwen3-max","input":[]}`, nil)
	if env := decodeEnvelope(t, resp); resp.StatusCode != http.StatusBadRequest || env.Error.Param == nil || *env.Error.Param != "input" {
		t.Fatalf("compact of an empty list: %d %+v", resp.StatusCode, env.Error)
	}
}
