package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// convCall makes a Conversations API call as key ("" for none) and decodes
// its JSON answer into out (when not nil); it returns the status and body.
func convCall(t *testing.T, e *env, method, path, key, body string, out any) (int, string) {
	t.Helper()
	header := map[string]string{}
	if key != "" {
		header["Authorization"] = "Bearer " + key
	}
	resp := send(t, e, method, path, "application/json", body, header)
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

type convObject struct {
	ID        string            `json:"id"`
	Object    string            `json:"object"`
	CreatedAt int64             `json:"created_at"`
	Metadata  map[string]string `json:"metadata"`
}

type convItem struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Role    string `json:"role"`
	Content []struct {
		Type, Text string
	} `json:"content"`
}

type convList struct {
	Object  string     `json:"object"`
	Data    []convItem `json:"data"`
	FirstID *string    `json:"first_id"`
	LastID  *string    `json:"last_id"`
	HasMore bool       `json:"has_more"`
}

func (it convItem) text() string {
	if len(it.Content) == 0 {
		return ""
	}
	return it.Content[0].Text
}

// convResponse answers body (a Responses request) and returns the answer's
// text and its response object's conversation.
func convResponse(t *testing.T, e *env, body string) (id, text, conversation string) {
	t.Helper()
	var r struct {
		ID           string
		Conversation *struct{ ID string }
		Output       []struct{ Content []struct{ Text string } }
	}
	status, b := convCall(t, e, "POST", "/v1/responses", "", body, &r)
	if status != http.StatusOK || len(r.Output) == 0 || len(r.Output[0].Content) == 0 || r.Conversation == nil {
		t.Fatalf("%s: %d %s", body, status, b)
	}
	return r.ID, r.Output[0].Content[0].Text, r.Conversation.ID
}

// listAll pages through a conversation's items in order, limit at a time.
func listAll(t *testing.T, e *env, conv, order string, limit int) []convItem {
	t.Helper()
	var all []convItem
	after := ""
	for pages := 0; ; pages++ {
		var l convList
		path := fmt.Sprintf("/v1/conversations/%s/items?order=%s&limit=%d", conv, order, limit)
		if after != "" {
			path += "&after=" + after
		}
		if status, b := convCall(t, e, "GET", path, "", "", &l); status != http.StatusOK || l.Object != "list" {
			t.Fatalf("list: %d %s", status, b)
		}
		all = append(all, l.Data...)
		if !l.HasMore || pages > 20 {
			return all
		}
		after = *l.LastID
	}
}

// TestConversationsContinueOneChat: a conversation made with items and
// metadata is answered in, twice, in one Qwen chat (the second answer counts
// the first), the items added between them sent before the second input;
// its items list in both orders, paged, as the items added and the
// responses' inputs and outputs; an item is retrieved; an item Qwen has
// been sent cannot be deleted, one added since can; metadata is updated;
// the deleted conversation is gone and its calls stay recorded. On both
// backends.
func TestConversationsContinueOneChat(t *testing.T) {
	storetest.EachBackend(t, testConversationsContinueOneChat)
}

func testConversationsContinueOneChat(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "",
		`{"items":[{"type":"message","role":"user","content":"My name is Ada."}],"metadata":{"topic":"demo"}}`, &conv); status != http.StatusOK ||
		!strings.HasPrefix(conv.ID, "conv_") || conv.Object != "conversation" || conv.CreatedAt == 0 || conv.Metadata["topic"] != "demo" {
		t.Fatalf("create: %d %s", status, b)
	}
	firstID, text, in := convResponse(t, e, `{"model":"gpt-5","input":"one","conversation":"`+conv.ID+`"}`)
	// The items and the input are one turn: Qwen is sent them together.
	if in != conv.ID || !strings.Contains(text, `one`) || !strings.Contains(text, "My name is Ada.") {
		t.Fatalf("first answer: %q in %q", text, in)
	}
	chats := e.sim.Chats()
	if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", "",
		`{"items":[{"role":"user","content":"two-a"}]}`, nil); status != http.StatusOK {
		t.Fatalf("add items: %d %s", status, b)
	}
	_, text, _ = convResponse(t, e, `{"model":"gpt-5","input":"two-b","conversation":{"id":"`+conv.ID+`"}}`)
	if !strings.Contains(text, `"My name is Ada.\n\none"`) || !strings.Contains(text, "two-a") || !strings.Contains(text, "two-b") || !strings.Contains(text, "Earlier answers of mine: 1.") {
		t.Fatalf("second answer does not continue the chat: %q", text)
	}
	if e.sim.Chats() != chats {
		t.Fatalf("the second response opened a new chat: %d chats, then %d", chats, e.sim.Chats())
	}

	asc := listAll(t, e, conv.ID, "asc", 2)
	var roles []string
	for _, it := range asc {
		roles = append(roles, it.Role+":"+it.text())
	}
	if len(asc) != 6 || asc[0].text() != "My name is Ada." || asc[1].text() != "one" || asc[2].Role != "assistant" ||
		asc[3].text() != "two-a" || asc[4].text() != "two-b" || asc[5].Role != "assistant" {
		t.Fatalf("items, oldest first: %v", roles)
	}
	desc := listAll(t, e, conv.ID, "desc", 4)
	slices.Reverse(desc)
	for i := range asc {
		if i >= len(desc) || desc[i].ID != asc[i].ID {
			t.Fatalf("newest first differs: %+v vs %+v", desc, asc)
		}
	}
	ids := map[string]bool{}
	for _, it := range asc {
		ids[it.ID] = true
	}
	if len(ids) != len(asc) {
		t.Fatalf("item ids repeat: %v", ids)
	}
	var first convList
	if status, _ := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items", "", "", &first); status != 200 || len(first.Data) != 6 ||
		first.Data[0].ID != asc[5].ID || first.HasMore || *first.FirstID != asc[5].ID || *first.LastID != asc[0].ID {
		t.Fatalf("the default list (newest first, 20): %+v", first)
	}

	var got convItem
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items/"+asc[3].ID, "", "", &got); status != 200 || got.text() != "two-a" {
		t.Fatalf("retrieve: %d %s", status, b)
	}
	// Sent to Qwen: its chat keeps it.
	if status, b := convCall(t, e, "DELETE", "/v1/conversations/"+conv.ID+"/items/"+asc[0].ID, "", "", nil); status != 400 || !strings.Contains(b, "item_already_sent") {
		t.Fatalf("delete a sent item: %d %s", status, b)
	}
	var added convList
	if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", "", `{"items":[{"role":"user","content":"never mind"}]}`, &added); status != 200 ||
		len(added.Data) != 1 || added.Data[0].text() != "never mind" || *added.FirstID != added.Data[0].ID {
		t.Fatalf("add: %d %s", status, b)
	}
	var after convObject
	if status, b := convCall(t, e, "DELETE", "/v1/conversations/"+conv.ID+"/items/"+added.Data[0].ID, "", "", &after); status != 200 || after.ID != conv.ID {
		t.Fatalf("delete an unsent item: %d %s", status, b)
	}
	if status, _ := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items/"+added.Data[0].ID, "", "", nil); status != 404 {
		t.Fatalf("a deleted item: %d", status)
	}
	// The deleted item is not sent with the next turn.
	_, text, _ = convResponse(t, e, `{"model":"gpt-5","input":"three","conversation":"`+conv.ID+`"}`)
	if strings.Contains(text, "never mind") || !strings.Contains(text, "Earlier answers of mine: 2.") {
		t.Fatalf("third answer: %q", text)
	}

	// previous_response_id of a response in the conversation would go on
	// in its chat unseen by it.
	if status, b := convCall(t, e, "POST", "/v1/responses", "", `{"model":"gpt-5","input":"fork","previous_response_id":"`+firstID+`"}`, nil); status != 400 ||
		!strings.Contains(b, "continue it with conversation") {
		t.Fatalf("previous_response_id of a conversation's response: %d %s", status, b)
	}
	// A chat Qwen no longer knows is told the conversation again.
	e.sim.ForgetChats()
	_, text, _ = convResponse(t, e, `{"model":"gpt-5","input":"four","conversation":"`+conv.ID+`"}`)
	for _, said := range []string{"[Earlier conversation", "My name is Ada.", "two-a", "three"} {
		if !strings.Contains(text, said) {
			t.Fatalf("the new chat was not told the conversation (%q): %q", said, text)
		}
	}

	var updated convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID, "", `{"metadata":{"topic":"changed","n":"2"}}`, &updated); status != 200 ||
		updated.Metadata["topic"] != "changed" || updated.Metadata["n"] != "2" {
		t.Fatalf("update: %d %s", status, b)
	}
	var read convObject
	if convCall(t, e, "GET", "/v1/conversations/"+conv.ID, "", "", &read); read.Metadata["topic"] != "changed" || read.CreatedAt != conv.CreatedAt {
		t.Fatalf("retrieve after update: %+v", read)
	}
	if status, b := convCall(t, e, "DELETE", "/v1/conversations/"+conv.ID, "", "", nil); status != 200 || !strings.Contains(b, `"conversation.deleted"`) {
		t.Fatalf("delete: %d %s", status, b)
	}
	for _, path := range []string{"", "/items"} {
		if status, _ := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+path, "", "", nil); status != 404 {
			t.Fatalf("GET of the deleted conversation%s: %d", path, status)
		}
	}
	e.sync()
	if n := e.count(`SELECT COUNT(*) FROM requests WHERE path = '/v1/responses' AND status = 'success'`); n != 4 {
		t.Fatalf("%d recorded responses after the conversation's deletion, want 4", n)
	}
}

// TestConversationRefusals: what the Conversations API and a response in a
// conversation refuse is a 400 (404 for another key's or an unknown
// conversation) in OpenAI's shape, and nothing is stored or sent upstream.
// A conversation another call holds is OpenAI's conversation_locked; a
// failed response is not added to its conversation.
func TestConversationRefusals(t *testing.T) {
	const alice, bob = "alice-key-1", "bob-key-2"
	e := start(t, func(c *config.Config) { c.APIKeys = []string{alice, bob} })
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", alice, "", &conv); status != 200 || len(conv.Metadata) != 0 {
		t.Fatalf("create without a body: %d %s", status, b)
	}
	many := strings.Repeat(`{"role":"user","content":"x"},`, 21)
	longKey := strings.Repeat("k", 65)
	cases := []struct {
		method, path, key, body string
		status                  int
		param, code             string
	}{
		{"POST", "/v1/conversations", alice, `{"items":[` + strings.TrimSuffix(many, ",") + `]}`, 400, "items", "array_above_max_length"},
		{"POST", "/v1/conversations", alice, `{"items":[{"role":"robot","content":"x"}]}`, 400, "items[0].role", "invalid_value"},
		{"POST", "/v1/conversations", alice, `{"items":"hi"}`, 400, "items", ""},
		{"POST", "/v1/conversations", alice, `{"metadata":{"` + longKey + `":"v"}}`, 400, "metadata", "invalid_value"},
		{"POST", "/v1/conversations/" + conv.ID + "/items", alice, `{"items":[]}`, 400, "items", "missing_required_parameter"},
		{"POST", "/v1/conversations/" + conv.ID + "/items", alice, `{}`, 400, "items", "missing_required_parameter"},
		{"POST", "/v1/conversations/" + conv.ID, alice, `{}`, 400, "metadata", "missing_required_parameter"},
		{"GET", "/v1/conversations/" + conv.ID, bob, "", 404, "conversation_id", "not_found"},
		{"DELETE", "/v1/conversations/" + conv.ID, bob, "", 404, "conversation_id", "not_found"},
		{"GET", "/v1/conversations/" + conv.ID + "/items", bob, "", 404, "conversation_id", "not_found"},
		{"GET", "/v1/conversations/" + conv.ID + "/items?limit=101", alice, "", 400, "limit", "invalid_value"},
		{"GET", "/v1/conversations/" + conv.ID + "/items?order=up", alice, "", 400, "order", "invalid_value"},
		{"GET", "/v1/conversations/" + conv.ID + "/items?after=msg_nope", alice, "", 400, "after", "invalid_value"},
		{"GET", "/v1/conversations/" + conv.ID + "/items/msg_nope", alice, "", 404, "item_id", "not_found"},
		{"GET", "/v1/conversations/conv_nope", alice, "", 404, "conversation_id", "not_found"},
		{"POST", "/v1/responses", alice, `{"model":"gpt-5","input":"hi","conversation":"` + conv.ID + `","previous_response_id":"resp_x"}`, 400, "", "mutually_exclusive_parameters"},
		{"POST", "/v1/responses", bob, `{"model":"gpt-5","input":"hi","conversation":"` + conv.ID + `"}`, 404, "conversation", "not_found"},
		{"POST", "/v1/responses", alice, `{"model":"gpt-5","input":"hi","conversation":{"id":""}}`, 400, "conversation", ""},
		{"POST", "/v1/responses", alice, `{"model":"gpt-5","input":"hi","conversation":7}`, 400, "conversation", ""},
		{"POST", "/v1/responses", alice, `{"model":"gpt-5","input":"hi","store":false,"conversation":"` + conv.ID + `"}`, 400, "store", "invalid_value"},
		{"POST", "/v1/responses/input_tokens", alice, `{"model":"gpt-5","input":"hi","conversation":"` + conv.ID + `"}`, 400, "conversation", "unsupported_parameter"},
	}
	for _, c := range cases {
		resp := send(t, e, c.method, c.path, "application/json", c.body, map[string]string{"Authorization": "Bearer " + c.key})
		if resp.StatusCode != c.status {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("%s %s %s: %d %s, want %d", c.method, c.path, c.body, resp.StatusCode, b, c.status)
			continue
		}
		env := decodeEnvelope(t, resp)
		if param := env.Error.Param; (param == nil && c.param != "") || (param != nil && *param != c.param) || env.Error.Type != "invalid_request_error" ||
			(c.code != "" && (env.Error.Code == nil || *env.Error.Code != c.code)) {
			t.Errorf("%s %s %s: %+v", c.method, c.path, c.body, env.Error)
		}
	}
	// Recorded without its bodies, the response could not be listed.
	resp := send(t, e, "POST", "/v1/responses", "application/json", `{"model":"gpt-5","input":"hi","conversation":"`+conv.ID+`"}`,
		map[string]string{"Authorization": "Bearer " + alice, "X-Record-Bodies": "false"})
	if env := decodeEnvelope(t, resp); resp.StatusCode != 400 || env.Error.Param == nil || *env.Error.Param != "conversation" || !strings.Contains(env.Error.Message, "bodies recorded") {
		t.Errorf("X-Record-Bodies: false in a conversation: %d %+v", resp.StatusCode, env.Error)
	}
	if n := e.count(`SELECT COUNT(*) FROM conversations`); n != 1 {
		t.Errorf("%d conversations stored, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM conversation_entries`); n != 0 {
		t.Errorf("%d entries stored by refused calls", n)
	}
	if n := len(e.sim.Calls()); n != 0 {
		t.Errorf("%d calls upstream", n)
	}

	// Another call holds the conversation (as a response still answering
	// does): a second one is refused, not forked.
	if err := e.app.Store().LockConversation(ctxT(t), conv.ID, "other", time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, body string }{
		{"/v1/responses", `{"model":"gpt-5","input":"hi","conversation":"` + conv.ID + `"}`},
		{"/v1/conversations/" + conv.ID + "/items", `{"items":[{"role":"user","content":"x"}]}`},
	} {
		resp := send(t, e, "POST", c.path, "application/json", c.body, map[string]string{"Authorization": "Bearer " + alice})
		if resp.StatusCode != 400 {
			t.Fatalf("%s on a held conversation: %d", c.path, resp.StatusCode)
		}
		if env := decodeEnvelope(t, resp); env.Error.Code == nil || *env.Error.Code != "conversation_locked" || !strings.Contains(env.Error.Message, "Another process is currently operating on this conversation") {
			t.Fatalf("%s on a held conversation: %+v", c.path, env.Error)
		}
	}
	if err := e.app.Store().UnlockConversation(ctxT(t), conv.ID, "other"); err != nil {
		t.Fatal(err)
	}

	// A failed response is not added; the conversation is let go (the
	// next call, right after, is answered).
	e.sim.Inject(qwensim.Fault{Status: 400})
	resp = send(t, e, "POST", "/v1/responses", "application/json", `{"model":"gpt-5","input":"fails","conversation":"`+conv.ID+`"}`, map[string]string{"Authorization": "Bearer " + alice})
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode == 200 {
		t.Fatalf("a failing upstream answered 200: %s", b)
	}
	if n := e.count(`SELECT COUNT(*) FROM conversation_entries`); n != 0 {
		t.Errorf("a failed response was added: %d entries", n)
	}
	var next struct{ Status string }
	if status, b := convCall(t, e, "POST", "/v1/responses", alice, `{"model":"gpt-5","input":"works","conversation":"`+conv.ID+`"}`, &next); status != 200 || next.Status != "completed" {
		t.Fatalf("the call after a failure: %d %s", status, b)
	}
	if n := e.count(`SELECT COUNT(*) FROM conversation_entries`); n != 1 {
		t.Errorf("%d entries after one answered response", n)
	}
}

// TestConversationTakesOneResponseAtATime: while a response is answered in
// a conversation, a second one is OpenAI's 400 conversation_locked (two
// turns at once would fork its chat), as is adding an item; once the first
// call ends (its client left), the conversation is answered in again.
func TestConversationTakesOneResponseAtATime(t *testing.T) {
	e := start(t, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{}`, &conv); status != 200 {
		t.Fatalf("create: %d %s", status, b)
	}
	reached := make(chan struct{}, 1)
	e.sim.Inject(qwensim.Fault{StallAfter: 2, Reached: reached})
	ctx, leave := context.WithCancel(ctxT(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "POST", e.app.URL()+"/v1/responses",
			strings.NewReader(`{"model":"gpt-5","input":"slow","conversation":"`+conv.ID+`"}`))
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-reached // the first call is answering, holding the conversation
	for _, c := range []struct{ path, body string }{
		{"/v1/responses", `{"model":"gpt-5","input":"fast","conversation":"` + conv.ID + `"}`},
		{"/v1/conversations/" + conv.ID + "/items", `{"items":[{"role":"user","content":"x"}]}`},
	} {
		if status, b := convCall(t, e, "POST", c.path, "", c.body, nil); status != 400 || !strings.Contains(b, `"conversation_locked"`) {
			t.Fatalf("%s while a response runs: %d %s", c.path, status, b)
		}
	}
	leave()
	<-done
	_, text, _ := convResponse(t, e, `{"model":"gpt-5","input":"again","conversation":"`+conv.ID+`"}`)
	if !strings.Contains(text, "again") {
		t.Fatalf("after the first call ended: %q", text)
	}
}

// TestConversationCarriesAFunctionCall: a response's function call is the
// conversation's item, and its output, sent alone in the conversation,
// reaches the call's chat with its tool; the listing has the call and its
// output in order.
func TestConversationCarriesAFunctionCall(t *testing.T) {
	e := start(t, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{}`, &conv); status != 200 {
		t.Fatalf("create: %d %s", status, b)
	}
	const shell = `"tools":[{"type":"function","name":"shell","parameters":{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}}]`
	var raw struct {
		Output []struct {
			Type   string `json:"type"`
			CallID string `json:"call_id"`
			Name   string `json:"name"`
		}
	}
	if status, b := convCall(t, e, "POST", "/v1/responses", "", `{"model":"gpt-5","input":"use shell with {\"command\": \"ls\"}","conversation":"`+conv.ID+`",`+shell+`}`, &raw); status != 200 ||
		len(raw.Output) == 0 || raw.Output[len(raw.Output)-1].Type != "function_call" {
		t.Fatalf("first: %d %s", status, b)
	}
	call := raw.Output[len(raw.Output)-1]
	_, text, _ := convResponse(t, e, `{"model":"gpt-5","input":[{"type":"function_call_output","call_id":"`+call.CallID+`","output":"README.md"}],"conversation":"`+conv.ID+`",`+shell+`}`)
	if !strings.Contains(text, `said "README.md"`) {
		t.Fatalf("the call's output did not reach its chat: %q", text)
	}
	var types []string
	for _, it := range listAll(t, e, conv.ID, "asc", 20) {
		types = append(types, it.Type)
	}
	// The user's message, the answer (its text, if any, then its call),
	// the call's output, the answer to it.
	if got := strings.Join(types, " "); !strings.HasPrefix(got, "message ") || !strings.HasSuffix(got, " function_call function_call_output message") {
		t.Fatalf("items: %v", types)
	}
}

// TestConversationListsAResponseStoredCut: a response whose request body
// was stored cut (over RECORD_MAX_BODY_BYTES) lists its output alone, not
// an empty message read from the cut body; GET …/input_items of such a
// response lists no input either (it listed that empty message).
func TestConversationListsAResponseStoredCut(t *testing.T) {
	e := start(t, func(c *config.Config) { c.RecordMaxBodyBytes = 2500 })
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{}`, &conv); status != 200 {
		t.Fatalf("create: %d %s", status, b)
	}
	id, _, _ := convResponse(t, e, `{"model":"gpt-5","input":"`+strings.Repeat("long ", 800)+`","conversation":"`+conv.ID+`"}`)
	items := listAll(t, e, conv.ID, "asc", 20)
	if len(items) != 1 || items[0].Role != "assistant" {
		t.Fatalf("items of a response stored cut: %+v", items)
	}
	var input convList
	if status, b := convCall(t, e, "GET", "/v1/responses/"+id+"/input_items", "", "", &input); status != 200 || len(input.Data) != 0 {
		t.Fatalf("input items of a response stored cut: %d %s", status, b)
	}
}
