package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// TestResponsesObjectsBelongToTheirKey: the Responses API's routes are open
// to any valid key, each key sees only its own responses, and the history's
// /v1/responses routes stay admin-only. Calls are recorded like every call.
// On both backends: deletions are stored (migration 0009).
func TestResponsesObjectsBelongToTheirKey(t *testing.T) {
	storetest.EachBackend(t, testResponsesObjectsBelongToTheirKey)
}

func testResponsesObjectsBelongToTheirKey(t *testing.T, backend string) {
	const alice, bob, admin = "alice-key-1", "bob-key-2", "admin-key-3"
	e := startOn(t, backend, func(c *config.Config) { c.APIKeys, c.AdminAPIKeys = []string{alice, bob}, []string{admin} })
	resp := send(t, e, "POST", "/v1/responses", "application/json", `{"model":"gpt-5","input":"hello"}`, map[string]string{"Authorization": "Bearer " + alice})
	var created struct{ ID, Status string }
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || json.Unmarshal(b, &created) != nil || created.Status != "completed" {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	obj := "/v1/responses/" + created.ID
	cases := []struct {
		method, path, key string
		status            int
	}{
		{"GET", obj, alice, 200},
		{"GET", obj + "/input_items", alice, 200},
		{"GET", obj, bob, 404}, // not bob's
		{"DELETE", obj, bob, 404},
		{"GET", obj, admin, 404}, // not the admin's either: objects belong to a key
		{"GET", "/v1/responses", alice, 403},
		{"GET", "/v1/responses/stats", alice, 403},
		{"GET", "/v1/responses/1", alice, 403},
		{"GET", "/v1/responses", admin, 200},
		{"GET", "/v1/responses/resp_nonsense", alice, 404},
		{"DELETE", obj, alice, 200},
		{"GET", obj, alice, 404}, // deleted
		{"DELETE", obj, alice, 404},
	}
	for _, c := range cases {
		if r := call(t, e, c.method, c.path, c.key, ""); r.StatusCode != c.status {
			t.Errorf("%s %s as %s: %d, want %d", c.method, c.path, c.key, r.StatusCode, c.status)
		}
	}
	rows := e.rows()
	if len(rows) != 1 || rows[0].Path != "/v1/responses" || rows[0].Status != "success" || rows[0].Model != "gpt-5" ||
		!strings.Contains(rows[0].OpenAIResponse.String, created.ID) {
		t.Fatalf("recorded %+v", rows)
	}
	// Deleting the object leaves the recorded call.
	if n := e.count(`SELECT COUNT(*) FROM responses`); n != 1 {
		t.Fatalf("%d responses rows after the object's deletion", n)
	}
}

// The response object echoes instructions and tools as the request gave
// them, byte for byte and without escaping <, > and & (it sent <env> back
// as \u003cenv\u003e), so that the record stores them once with the
// request's, not again with every answer.
func TestResponsesEchoTheRequestAsSent(t *testing.T) {
	e := start(t, nil)
	var digits strings.Builder // long, and no text that compresses to nothing
	for i := range 40 {
		fmt.Fprintf(&digits, "<%x> ", sha256.Sum256([]byte{byte(i)}))
	}
	instructions := `"You are <env>Codex</env> & a \u00e9 helper: ` + digits.String() + `"`
	tools := `[{"type":"function","name":"read_file","description":"reads <path> & more","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}]`
	for _, stream := range []string{"false", "true"} {
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","stream":`+stream+`,"instructions":`+instructions+`,"tools":`+tools+`,"input":"hi"}`, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"instructions":`+instructions) || !strings.Contains(string(b), `"tools":`+tools) {
			t.Fatalf("stream %s: %d, the echo differs from the request:\n%s", stream, resp.StatusCode, b)
		}
	}
	e.sync()
	// The record's answer refers to the request's parts for them (2.7 KB
	// of instructions, not compressible: the answer was 2 KB more).
	if n := e.count(`SELECT COUNT(*) FROM response_bodies WHERE LENGTH(openai_response_z) > 1500`); n != 0 {
		t.Fatalf("%d recorded answers hold the echoed instructions and tools again", n)
	}
}

// TestResponsesStreamFailureIsResponseFailed: a stream that breaks after
// it started ends with response.failed, and the call is recorded as failed.
func TestResponsesStreamFailureIsResponseFailed(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{CutAfter: 3})
	resp := postJSON(t, e, "/v1/responses", `{"model":"gpt-5","stream":true,"input":"a long enough answer please"}`, nil)
	b, _ := io.ReadAll(resp.Body)
	events := strings.Split(strings.TrimSpace(string(b)), "\n\n")
	last := events[len(events)-1]
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(last, "event: response.failed\n") || !strings.Contains(last, `"status":"failed"`) ||
		!strings.Contains(last, `"code":"upstream_stream_cut"`) {
		t.Fatalf("%d, last event %q", resp.StatusCode, last)
	}
	// The message the answer broke off in is incomplete, as OpenAI marks
	// it (it said completed).
	var failed struct {
		Response struct {
			Output []struct{ Type, Status string }
		}
	}
	if err := json.Unmarshal([]byte(last[strings.Index(last, "data: ")+len("data: "):]), &failed); err != nil ||
		len(failed.Response.Output) != 1 || failed.Response.Output[0].Status != "incomplete" {
		t.Fatalf("the failed response's output: %+v (%v)", failed.Response.Output, err)
	}
	r := e.lastRow()
	if r.Status != "error" || r.ErrorType != "upstream_stream_cut" || !strings.Contains(r.OpenAIResponse.String, `"status":"failed"`) {
		t.Fatalf("recorded %+v", r)
	}
}

// TestPreviousResponseIDContinuesTheChat: previous_response_id continues
// the Qwen chat of that response, by the session its id carries or, for an
// id that carries none, by its recorded call; an unknown one is a 400.
func TestPreviousResponseIDContinuesTheChat(t *testing.T) {
	e := start(t, nil)
	_, first, _ := postResponse(t, e, `{"model":"gpt-5","input":"one"}`)
	_, second, text := postResponse(t, e, `{"model":"gpt-5","input":"two","previous_response_id":"`+first+`"}`)
	if text != `You said: "two". Earlier you said: "one". Earlier answers of mine: 1.` {
		t.Fatalf("by the id's session: %q", text)
	}
	bare := second[:len("resp_")+32] // the request id alone
	if _, _, text := postResponse(t, e, `{"model":"gpt-5","input":"three","previous_response_id":"`+bare+`"}`); text != `You said: "three". Earlier you said: "one"; "two". Earlier answers of mine: 2.` {
		t.Fatalf("by the recorded call: %q", text)
	}
	if status, _, _ := postResponse(t, e, `{"model":"gpt-5","input":"x","previous_response_id":"resp_00000000000000000000000000000000"}`); status != http.StatusBadRequest {
		t.Fatalf("unknown previous_response_id: %d", status)
	}
	// A deleted response continues nothing, by its full id or its bare one
	// (its id still names its session: that was enough).
	if r := call(t, e, "DELETE", "/v1/responses/"+second, "", ""); r.StatusCode != http.StatusOK {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	for _, id := range []string{second, bare} {
		resp := postJSON(t, e, "/v1/responses", `{"model":"gpt-5","input":"four","previous_response_id":"`+id+`"}`, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "previous_response_not_found") {
			t.Fatalf("previous_response_id of a deleted response: %d %s", resp.StatusCode, b)
		}
	}
}

// A response's input items and output items never share an id: clients key
// items by id (the user's message was listed under the answer's id).
func TestResponsesInputItemIDsAreTheirOwn(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/responses", `{"model":"gpt-5","input":[{"role":"user","content":"hello"},{"role":"assistant","content":"hi"},{"role":"user","content":"again"}]}`, nil)
	var created struct {
		ID     string
		Output []struct{ ID string }
	}
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || json.Unmarshal(b, &created) != nil || len(created.Output) == 0 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	listed := send(t, e, "GET", "/v1/responses/"+created.ID+"/input_items", "", "", nil)
	var items struct{ Data []struct{ ID string } }
	if b, _ := io.ReadAll(listed.Body); listed.StatusCode != http.StatusOK || json.Unmarshal(b, &items) != nil || len(items.Data) != 3 {
		t.Fatalf("input_items: %d %s", listed.StatusCode, b)
	}
	seen := map[string]string{}
	for _, o := range created.Output {
		seen[o.ID] = "output"
	}
	for _, in := range items.Data {
		if seen[in.ID] != "" {
			t.Errorf("input item id %s is also an %s item's", in.ID, seen[in.ID])
		}
		seen[in.ID] = "input"
	}
}

// A function_call_output continued through previous_response_id (the call
// itself not resent, as Codex does with store:true) reaches Qwen with its
// tool's name, read from the previous response's record: Qwen's chat holds
// the call only as the model wrote it, without the proxy's call id. It
// reached Qwen as "Result of tool call call_…", naming no tool. Streamed and
// not, since each is recorded its own way.
func TestPreviousResponseToolResultNamesItsTool(t *testing.T) {
	for _, stream := range []bool{false, true} {
		e := start(t, nil)
		tools := `"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]`
		first := `{"model":"gpt-5","stream":` + map[bool]string{false: "false", true: "true"}[stream] + `,` + tools +
			`,"input":"use get_weather with {\"city\": \"Oslo\"}"}`
		resp := postJSON(t, e, "/v1/responses", first, nil)
		b, _ := io.ReadAll(resp.Body)
		e.sync()
		var answer struct {
			ID     string
			Output []struct {
				Type   string `json:"type"`
				CallID string `json:"call_id"`
				Name   string `json:"name"`
			}
		}
		if err := json.Unmarshal([]byte(e.lastRow().OpenAIResponse.String), &answer); err != nil {
			t.Fatalf("stream %v: recorded answer: %v (%s)", stream, err, b)
		}
		callID := ""
		for _, o := range answer.Output {
			if o.Type == "function_call" && o.Name == "get_weather" {
				callID = o.CallID
			}
		}
		if resp.StatusCode != http.StatusOK || answer.ID == "" || callID == "" {
			t.Fatalf("stream %v: first answer %d %s", stream, resp.StatusCode, b)
		}
		resp = postJSON(t, e, "/v1/responses", `{"model":"gpt-5",`+tools+`,"previous_response_id":"`+answer.ID+
			`","input":[{"type":"function_call_output","call_id":"`+callID+`","output":"sunny"}]}`, nil)
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %v: second answer %d %s", stream, resp.StatusCode, b)
		}
		sent := e.lastRow().QwenRequest.String
		if !strings.Contains(sent, "Result of get_weather ("+callID+")") {
			t.Fatalf("stream %v: the result reached Qwen without its tool's name: %s", stream, sent)
		}
	}
}

// TestPreviousResponseIDOfNoSessionIsNotFound: a previous_response_id whose
// session does not exist, or is another key's, is OpenAI's 400
// previous_response_not_found, as an unknown or deleted response is; it
// opened a new chat and answered without the context before. The owner
// continues at once (the session still only in memory) and after a restart
// (only in the database). On both backends: on PostgreSQL the session is
// read under its lock.
func TestPreviousResponseIDOfNoSessionIsNotFound(t *testing.T) {
	storetest.EachBackend(t, testPreviousResponseIDOfNoSessionIsNotFound)
}

func testPreviousResponseIDOfNoSessionIsNotFound(t *testing.T, backend string) {
	const k1, k2 = "key-one-1", "key-two-2"
	e := startOn(t, backend, func(c *config.Config) { c.APIKeys = []string{k1, k2} })
	create := func(key, body string) (int, []byte) {
		resp := send(t, e, "POST", "/v1/responses", "application/json", body, map[string]string{"Authorization": "Bearer " + key})
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, b := create(k1, `{"model":"qwen3-max","input":"one"}`)
	var first struct{ ID string }
	if status != http.StatusOK || json.Unmarshal(b, &first) != nil {
		t.Fatalf("create: %d %s", status, b)
	}
	status, b = create(k1, `{"model":"qwen3-max","input":"two","previous_response_id":"`+first.ID+`"}`)
	var second struct{ ID string }
	if status != http.StatusOK || !strings.Contains(string(b), `Earlier you said: \"one\"`) || json.Unmarshal(b, &second) != nil {
		t.Fatalf("the owner continuing at once: %d %s", status, b)
	}
	chats := e.sim.Chats()
	noSession := first.ID[:len("resp_")+32] + base64.RawURLEncoding.EncodeToString([]byte("no-such-session"))
	for _, c := range []struct{ name, key, id string }{
		{"a session that does not exist", k1, noSession},
		{"another key's response", k2, first.ID},
		{"another key's response by its bare id", k2, first.ID[:len("resp_")+32]},
	} {
		status, b := create(c.key, `{"model":"qwen3-max","input":"hello?","previous_response_id":"`+c.id+`"}`)
		var got envelope
		_ = json.Unmarshal(b, &got)
		if status != http.StatusBadRequest || got.Error.Type != "invalid_request_error" || got.Error.Code == nil || *got.Error.Code != "previous_response_not_found" ||
			got.Error.Param == nil || *got.Error.Param != "previous_response_id" || got.Error.Message != "Previous response with id '"+c.id+"' not found." {
			t.Errorf("%s: %d %s", c.name, status, b)
		}
	}
	if n := e.sim.Chats(); n != chats {
		t.Fatalf("%d Qwen chats opened for previous_response_ids that continue nothing", n-chats)
	}
	e.restart()
	if status, b := create(k1, `{"model":"qwen3-max","input":"three","previous_response_id":"`+second.ID+`"}`); status != http.StatusOK ||
		!strings.Contains(string(b), `Earlier you said: \"one\"; \"two\"`) {
		t.Fatalf("the owner continuing after a restart: %d %s", status, b)
	}
}

// TestResponsesInputItemsArePaged: GET …/input_items pages as OpenAI's does
// (limit 1–100, 20 by default; after an item id; order), with first_id,
// last_id and has_more; bad values are 400s naming them. limit and after
// were ignored: every item came, has_more false.
func TestResponsesInputItemsArePaged(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/responses", `{"model":"gpt-5","input":[{"role":"user","content":"one"},{"role":"assistant","content":"two"},{"role":"user","content":"three"}]}`, nil)
	var created struct{ ID string }
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || json.Unmarshal(b, &created) != nil {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	type page struct {
		Data []struct {
			ID      string
			Content []struct{ Text string }
		}
		FirstID *string `json:"first_id"`
		LastID  *string `json:"last_id"`
		HasMore bool    `json:"has_more"`
	}
	get := func(query string) (int, page, []byte) {
		resp := send(t, e, "GET", "/v1/responses/"+created.ID+"/input_items"+query, "", "", nil)
		b, _ := io.ReadAll(resp.Body)
		var p page
		_ = json.Unmarshal(b, &p)
		return resp.StatusCode, p, b
	}
	texts := func(p page) string {
		var out []string
		for _, d := range p.Data {
			out = append(out, d.Content[0].Text)
		}
		return strings.Join(out, ",")
	}
	status, p, b := get("?limit=2")
	if status != 200 || texts(p) != "three,two" || !p.HasMore || p.FirstID == nil || *p.FirstID != p.Data[0].ID || *p.LastID != p.Data[1].ID {
		t.Fatalf("limit=2: %d %s", status, b)
	}
	if status, q, b := get("?limit=2&after=" + *p.LastID); status != 200 || texts(q) != "one" || q.HasMore || *q.FirstID != q.Data[0].ID {
		t.Fatalf("after the first page: %d %s", status, b)
	}
	if status, q, b := get("?order=asc&limit=1"); status != 200 || texts(q) != "one" || !q.HasMore {
		t.Fatalf("order=asc&limit=1: %d %s", status, b)
	}
	if status, q, b := get("?after=" + p.Data[0].ID + "&order=desc"); status != 200 || texts(q) != "two,one" || q.HasMore {
		t.Fatalf("after the newest: %d %s", status, b)
	}
	if status, q, b := get(""); status != 200 || texts(q) != "three,two,one" || q.HasMore {
		t.Fatalf("default: %d %s", status, b)
	}
	for _, c := range []struct{ query, param string }{
		{"?limit=0", "limit"}, {"?limit=101", "limit"}, {"?limit=two", "limit"}, {"?after=msg_nope", "after"}, {"?order=sideways", "order"},
	} {
		resp := send(t, e, "GET", "/v1/responses/"+created.ID+"/input_items"+c.query, "", "", nil)
		if env := decodeEnvelope(t, resp); resp.StatusCode != http.StatusBadRequest || env.Error.Param == nil || *env.Error.Param != c.param ||
			env.Error.Type != "invalid_request_error" {
			t.Errorf("%s: %d %+v", c.query, resp.StatusCode, env)
		}
	}
}

// TestItemReferencesNameStoredItems: item_reference input items (the Vercel
// AI SDK's OpenAI provider sends a stored response's output items so, from
// its second step on) stand for the items they name, and the resent history
// finds its chat. They were a 400, which broke every tool loop of that SDK.
// An id naming no stored item of the caller's is OpenAI's 400, naming it.
func TestItemReferencesNameStoredItems(t *testing.T) {
	for _, stream := range []bool{false, true} {
		e := start(t, nil)
		tools := `"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]`
		user := `{"role":"user","content":[{"type":"input_text","text":"use get_weather with {\"city\": \"Oslo\"}"}]}`
		resp := postJSON(t, e, "/v1/responses", `{"model":"gpt-5","stream":`+map[bool]string{false: "false", true: "true"}[stream]+`,`+tools+`,"input":[`+user+`]}`, nil)
		b, _ := io.ReadAll(resp.Body)
		e.sync()
		first := e.lastRow()
		var answer struct {
			Output []struct {
				ID     string `json:"id"`
				Type   string `json:"type"`
				CallID string `json:"call_id"`
			}
		}
		if err := json.Unmarshal([]byte(first.OpenAIResponse.String), &answer); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %v: first answer %d %s (%v)", stream, resp.StatusCode, b, err)
		}
		var refs []string
		callID := ""
		for _, o := range answer.Output {
			refs = append(refs, `{"type":"item_reference","id":"`+o.ID+`"}`)
			if o.Type == "function_call" {
				callID = o.CallID
			}
		}
		if len(refs) != 2 || callID == "" {
			t.Fatalf("stream %v: first answer's output %+v", stream, answer.Output)
		}
		input := user + "," + strings.Join(refs, ",") + `,{"type":"function_call_output","call_id":"` + callID + `","output":"sunny"}`
		resp = postJSON(t, e, "/v1/responses", `{"model":"gpt-5",`+tools+`,"input":[`+input+`]}`, nil)
		b, _ = io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `Thanks: get_weather said \"sunny\"`) {
			t.Fatalf("stream %v: with item references %d %s", stream, resp.StatusCode, b)
		}
		// Its input items list the referenced items, under their ids.
		var second struct{ ID string }
		_ = json.Unmarshal(b, &second)
		listed := send(t, e, "GET", "/v1/responses/"+second.ID+"/input_items?order=asc", "", "", nil)
		var items struct {
			Data []struct{ ID, Type, Role string }
		}
		if b, _ := io.ReadAll(listed.Body); listed.StatusCode != http.StatusOK || json.Unmarshal(b, &items) != nil || len(items.Data) != 4 ||
			items.Data[1].ID != answer.Output[0].ID || items.Data[1].Role != "assistant" ||
			items.Data[2].ID != answer.Output[1].ID || items.Data[2].Type != "function_call" || items.Data[3].Type != "function_call_output" {
			t.Fatalf("stream %v: input items %d %s", stream, listed.StatusCode, b)
		}
		e.sync()
		if second := e.lastRow(); second.ChatID != first.ChatID || second.SessionID != first.SessionID {
			t.Fatalf("stream %v: the referenced history did not find its chat: %s/%s after %s/%s", stream, second.SessionID, second.ChatID, first.SessionID, first.ChatID)
		}
		rows := len(e.rows())
		for _, id := range []string{"msg_00000000000000000000000000000000000", "msg_" + strings.Repeat("f", 32) + "0", "nonsense"} {
			resp = postJSON(t, e, "/v1/responses", `{"model":"gpt-5","input":[`+user+`,{"type":"item_reference","id":"`+id+`"}]}`, nil)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"param":"input[1].id"`) || !strings.Contains(string(b), id) {
				t.Fatalf("stream %v: unknown item %s: %d %s", stream, id, resp.StatusCode, b)
			}
		}
		if got := len(e.rows()); got != rows {
			t.Fatalf("stream %v: refused references were recorded (%d rows, then %d)", stream, rows, got)
		}
		// A response made with store:false is not stored: its items name
		// nothing, as GET does not find it.
		resp = postJSON(t, e, "/v1/responses", `{"model":"gpt-5","store":false,"input":"hello"}`, nil)
		var unstored struct{ Output []struct{ ID string } }
		if b, _ := io.ReadAll(resp.Body); json.Unmarshal(b, &unstored) != nil || len(unstored.Output) == 0 {
			t.Fatalf("stream %v: store:false answer %s", stream, b)
		}
		resp = postJSON(t, e, "/v1/responses", `{"model":"gpt-5","input":[`+user+`,{"type":"item_reference","id":"`+unstored.Output[0].ID+`"}]}`, nil)
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"param":"input[1].id"`) {
			t.Fatalf("stream %v: an item of a store:false response: %d %s", stream, resp.StatusCode, b)
		}
	}
}

// TestAResponsesConversationWhoseChatIsGoneKeepsItsHistory: Qwen no longer
// knows the chat of a conversation continued by previous_response_id
// (deleted in the web UI); the new chat is told the conversation rebuilt
// from the stored responses.
func TestAResponsesConversationWhoseChatIsGoneKeepsItsHistory(t *testing.T) {
	e := start(t, nil)
	first, _ := answeredResponse(t, e, `{"model":"gpt-5","input":"My favourite colour is vermilion."}`)
	e.sim.ForgetChats()
	if _, text := answeredResponse(t, e, `{"model":"gpt-5","input":"Which colour?","previous_response_id":"`+first+`"}`); !strings.Contains(text, "vermilion") {
		t.Fatalf("the new chat was not told the conversation: %q", text)
	}
}

// postResponse makes a Responses call and returns its status, the
// response's id and its first output text ("" when it has none).
func postResponse(t *testing.T, e *env, body string) (status int, id, text string) {
	t.Helper()
	resp := postJSON(t, e, "/v1/responses", body, nil)
	var r struct {
		ID     string
		Output []struct {
			Content []struct{ Text string }
		}
	}
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &r)
	if len(r.Output) > 0 && len(r.Output[0].Content) > 0 {
		text = r.Output[0].Content[0].Text
	}
	return resp.StatusCode, r.ID, text
}

// answeredResponse is postResponse for a call that must be answered with
// text: anything else fails the test.
func answeredResponse(t *testing.T, e *env, body string) (id, text string) {
	t.Helper()
	status, id, text := postResponse(t, e, body)
	if status != 200 || text == "" {
		t.Fatalf("%s: %d, text %q", body, status, text)
	}
	return id, text
}
