package e2e

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// sentToQwen is the last completion the simulator received: its chat and
// its body as sent.
func sentToQwen(t *testing.T, e *env) (chatID, body string) {
	t.Helper()
	calls := e.sim.Calls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Endpoint == qwensim.EndpointCompletions {
			return calls[i].ChatID, string(calls[i].Body)
		}
	}
	t.Fatal("Qwen was sent no completion")
	return "", ""
}

// sessionOfResponse is the session a response's id carries.
func sessionOfResponse(t *testing.T, id string) string {
	t.Helper()
	sid, err := base64.RawURLEncoding.DecodeString(id[len("resp_")+32:])
	if err != nil || len(sid) == 0 {
		t.Fatalf("response id %s carries no session", id)
	}
	return string(sid)
}

// recordedSession is the session the call behind a response id is recorded
// under.
func recordedSession(t *testing.T, e *env, id string) string {
	t.Helper()
	return rowOfResponse(t, e, id).SessionID
}

// rowOfResponse is the record of the call behind a response id.
func rowOfResponse(t *testing.T, e *env, id string) row {
	t.Helper()
	digits := id[len("resp_") : len("resp_")+32]
	for _, r := range e.rows() {
		if strings.ReplaceAll(r.RequestID, "-", "") == digits {
			return r
		}
	}
	t.Fatalf("no record of %s", id)
	return row{}
}

// TestPreviousResponseIDBranches: requests naming one previous_response_id
// each continue from that response and see only its chain, as OpenAI's do.
// One naming a response its session's chat has gone past by two turns went
// on in the Qwen chat after them: the model read turns its client never
// asked for, and whatever continued from either read both. It goes on in a
// new chat, under a session of its own, told the response's conversation;
// the session it branched off from and its chat are left as they were, and
// each branch goes on in its own chat, told nothing again — after a restart
// too (the session read back from the database). (A response one turn back,
// the one the latest turn was asked from, is asked again in the chat:
// TestPreviousResponseIDRetryRegenerates.) On both backends: on PostgreSQL
// the session is read under its lock.
func TestPreviousResponseIDBranches(t *testing.T) {
	storetest.EachBackend(t, testPreviousResponseIDBranches)
}

func testPreviousResponseIDBranches(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	r1, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"My cat is called Ziggy."}`)
	chat1, _ := sentToQwen(t, e)
	a, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"Alpha question","previous_response_id":"`+r1+`"}`)
	if chat, _ := sentToQwen(t, e); chat != chat1 || !strings.Contains(text, "Ziggy") {
		t.Fatalf("continuing the latest response: chat %s (want %s), %q", chat, chat1, text)
	}
	a2, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"Alpha follow-up","previous_response_id":"`+a+`"}`)
	chats := e.sim.Chats()
	b, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"Beta question","previous_response_id":"`+r1+`"}`)
	chatB, sent := sentToQwen(t, e)
	if chatB == chat1 || e.sim.Chats() != chats+1 {
		t.Fatalf("the branch went on in chat %s (the session's %s), %d chats opened", chatB, chat1, e.sim.Chats()-chats)
	}
	if !strings.Contains(sent, "Ziggy") || !strings.Contains(sent, "Beta question") || strings.Contains(sent, "Alpha") {
		t.Fatalf("the branch's chat was told %s", sent)
	}
	if strings.Contains(text, "Alpha") || !strings.Contains(text, "Ziggy") {
		t.Fatalf("the branch's answer: %q", text)
	}
	s1 := sessionOfResponse(t, r1)
	if sessionOfResponse(t, a) != s1 || sessionOfResponse(t, a2) != s1 || sessionOfResponse(t, b) == s1 {
		t.Fatalf("sessions: r1 %s, a %s, a2 %s, b %s", s1, sessionOfResponse(t, a), sessionOfResponse(t, a2), sessionOfResponse(t, b))
	}
	if got := recordedSession(t, e, b); got != sessionOfResponse(t, b) {
		t.Fatalf("the branch is recorded under session %q, its id names %q", got, sessionOfResponse(t, b))
	}
	if got := recordedSession(t, e, a); got != s1 {
		t.Fatalf("the first continuation is recorded under session %q, not %q", got, s1)
	}
	// The history lists the branch as a session of its own, named as the
	// conversation it holds.
	if _, sess := getJSON(t, e, "GET", "/v1/sessions/"+sessionOfResponse(t, b)); sess["first_user_message"] != "My cat is called Ziggy." ||
		sess["chat_id"] != chatB {
		t.Fatalf("the branch's session: %v", sess)
	}

	// Each goes on in its own chat, told nothing again.
	chats = e.sim.Chats()
	_, text = answeredResponse(t, e, `{"model":"qwen3-max","input":"Gamma question","previous_response_id":"`+a2+`"}`)
	if chat, sent := sentToQwen(t, e); chat != chat1 || strings.Contains(sent, "Ziggy") || strings.Contains(text, "Beta") || !strings.Contains(text, "Alpha") {
		t.Fatalf("continuing the first continuation: chat %s (want %s), sent %s, answer %q", chat, chat1, sent, text)
	}
	b2, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"Delta question","previous_response_id":"`+b+`"}`)
	if chat, sent := sentToQwen(t, e); chat != chatB || strings.Contains(sent, "Ziggy") || strings.Contains(text, "Alpha") || strings.Contains(text, "Gamma") ||
		!strings.Contains(text, "Beta") {
		t.Fatalf("continuing the branch: chat %s (want %s), sent %s, answer %q", chat, chatB, sent, text)
	}
	if sessionOfResponse(t, b2) != sessionOfResponse(t, b) || e.sim.Chats() != chats {
		t.Fatalf("the branch's continuation: session %s (want %s), %d chats opened", sessionOfResponse(t, b2), sessionOfResponse(t, b), e.sim.Chats()-chats)
	}

	// Read back from the database: the branch's own continuation is still
	// its session's latest answer; r1, three turns back, is not.
	e.restart()
	chats = e.sim.Chats()
	if _, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"Epsilon question","previous_response_id":"`+b2+`"}`); !strings.Contains(text, "Delta") {
		t.Fatalf("continuing the branch after a restart: %q", text)
	}
	if chat, _ := sentToQwen(t, e); chat != chatB || e.sim.Chats() != chats {
		t.Fatalf("continuing the branch after a restart: chat %s (want %s), %d chats opened", chat, chatB, e.sim.Chats()-chats)
	}
	_, text = answeredResponse(t, e, `{"model":"qwen3-max","input":"Zeta question","previous_response_id":"`+r1+`"}`)
	if chat, sent := sentToQwen(t, e); chat == chat1 || chat == chatB || e.sim.Chats() != chats+1 || !strings.Contains(sent, "Ziggy") || strings.Contains(sent, "Alpha") ||
		strings.Contains(sent, "Gamma") || strings.Contains(text, "Gamma") || strings.Contains(text, "Beta") {
		t.Fatalf("branching after a restart: chat %s, sent %s, answer %q", chat, sent, text)
	}
}

// TestPreviousResponseIDBranchesAtOnce: two requests from one response at
// the same time — the session's latest answer, as an SDK's retry of a call
// still running is — one goes on in its chat; the other, which finds the
// first's answer the session's latest once it holds the session, is asked
// again in the same chat under that response (a regenerate), where it
// branched off into a new chat told the whole chain. Neither sees the
// other's turn. On both backends: on PostgreSQL the session is read under
// its lock.
func TestPreviousResponseIDBranchesAtOnce(t *testing.T) {
	storetest.EachBackend(t, testPreviousResponseIDBranchesAtOnce)
}

func testPreviousResponseIDBranchesAtOnce(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	r1, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"My dog is called Rex."}`)
	chat1, _ := sentToQwen(t, e)
	var wg sync.WaitGroup
	texts := make([]string, 2)
	ids := make([]string, 2)
	for i, word := range []string{"Left", "Right"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"`+word+` question","previous_response_id":"`+r1+`"}`, nil)
			b, _ := io.ReadAll(resp.Body)
			var r struct {
				ID     string
				Output []struct{ Content []struct{ Text string } }
			}
			if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &r) != nil || len(r.Output) == 0 || len(r.Output[0].Content) == 0 {
				t.Errorf("%s: %d %s", word, resp.StatusCode, b)
				return
			}
			ids[i], texts[i] = r.ID, r.Output[0].Content[0].Text
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if strings.Contains(texts[0], "Right") || strings.Contains(texts[1], "Left") || !strings.Contains(texts[0], "Rex") || !strings.Contains(texts[1], "Rex") {
		t.Fatalf("answers %q", texts)
	}
	if s := sessionOfResponse(t, r1); sessionOfResponse(t, ids[0]) != s || sessionOfResponse(t, ids[1]) != s {
		t.Fatalf("sessions %s and %s, not r1's %s", sessionOfResponse(t, ids[0]), sessionOfResponse(t, ids[1]), s)
	}
	var parents []string
	for _, c := range upstreamCompletions(t, e.sim) {
		if c["chat_id"] == chat1 {
			parent, _ := c["parent_id"].(string) // null for the chat's first
			parents = append(parents, parent)
		}
	}
	if len(parents) != 3 || parents[1] != parents[2] || e.sim.Chats() != 1 {
		t.Fatalf("completions in the first chat under %q (want 3: the first turn and two under r1's answer), %d chats", parents, e.sim.Chats())
	}
}

// TestPreviousResponseIDBranchAnswersACallOfItsResponse: a branch from a
// response whose answer was a tool call, sending the call's result alone,
// reaches Qwen with the tool's name (read from the response's record: the
// session's last answer is another's) after the response's conversation,
// without the result the first continuation sent. Sent again while the
// first continuation is the session's latest answer (a retry), the result
// is asked again in the session's chat, under the call's answer, named too.
func TestPreviousResponseIDBranchAnswersACallOfItsResponse(t *testing.T) {
	e := start(t, nil)
	tools := `"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]`
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max",`+tools+`,"input":"use get_weather with {\"city\": \"Oslo\"}"}`, nil)
	var first struct {
		ID     string
		Output []struct {
			Type   string `json:"type"`
			CallID string `json:"call_id"`
			Name   string `json:"name"`
		}
	}
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || json.Unmarshal(b, &first) != nil {
		t.Fatalf("first: %d %s", resp.StatusCode, b)
	}
	callID := ""
	for _, o := range first.Output {
		if o.Type == "function_call" && o.Name == "get_weather" {
			callID = o.CallID
		}
	}
	if callID == "" {
		t.Fatalf("no call in %+v", first)
	}
	result := func(output string) (id, sent string) {
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max",`+tools+`,"previous_response_id":"`+first.ID+
			`","input":[{"type":"function_call_output","call_id":"`+callID+`","output":"`+output+`"}]}`, nil)
		b, _ := io.ReadAll(resp.Body)
		var r struct{ ID string }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &r) != nil {
			t.Fatalf("%s: %d %s", output, resp.StatusCode, b)
		}
		_, sent = sentToQwen(t, e)
		return r.ID, sent
	}
	result("cloudy")
	chat1, _ := sentToQwen(t, e)
	underCall := parentSentToQwen(t, e)
	sunny, sent := result("sunny")
	if chat, _ := sentToQwen(t, e); chat != chat1 || parentSentToQwen(t, e) != underCall || e.sim.Chats() != 1 ||
		!strings.Contains(sent, "Result of get_weather ("+callID+")") || strings.Contains(sent, "cloudy") {
		t.Fatalf("the result sent again (chat %s, the session's %s) was told %s", chat, chat1, sent)
	}
	answeredResponse(t, e, `{"model":"qwen3-max",`+tools+`,"previous_response_id":"`+sunny+`","input":"thanks"}`)
	_, sent = result("foggy")
	chat, _ := sentToQwen(t, e)
	if chat == chat1 || !strings.Contains(sent, "Result of get_weather ("+callID+")") || !strings.Contains(sent, "foggy") ||
		strings.Contains(sent, "sunny") || !strings.Contains(sent, "Oslo") {
		t.Fatalf("the branch (chat %s, the session's %s) was told %s", chat, chat1, sent)
	}
}

// TestCompactBranchesFromAnEarlierResponse: POST /v1/responses/compact with
// a previous_response_id that its session's chat has gone past by two
// turns summarizes that response's conversation, in a chat of its own told
// it, not the session's chat, which holds turns after it; the session goes
// on in its chat.
func TestCompactBranchesFromAnEarlierResponse(t *testing.T) {
	e := start(t, nil)
	r1, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"My bird is called Kiwi."}`)
	chat1, _ := sentToQwen(t, e)
	a, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"Alpha question","previous_response_id":"`+r1+`"}`)
	a2, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"Alpha follow-up","previous_response_id":"`+a+`"}`)
	c := compact(t, e, `{"model":"qwen3-max","previous_response_id":"`+r1+`"}`)
	chat, sent := sentToQwen(t, e)
	if chat == chat1 || !strings.Contains(sent, "Kiwi") || strings.Contains(sent, "Alpha") || !strings.Contains(sent, "Summarize the conversation so far") {
		t.Fatalf("the summary was asked in chat %s (the session's %s), told %s", chat, chat1, sent)
	}
	if out := string(c.Output[0]); len(c.Output) != 2 || !strings.Contains(out, "Kiwi") || sessionOfResponse(t, c.ID) == sessionOfResponse(t, r1) {
		t.Fatalf("compacted %s in session %s", c.Output, sessionOfResponse(t, c.ID))
	}
	if _, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"Gamma question","previous_response_id":"`+a2+`"}`); !strings.Contains(text, "Alpha") {
		t.Fatalf("continuing the session: %q", text)
	}
	if chat, _ := sentToQwen(t, e); chat != chat1 {
		t.Fatalf("the session went on in chat %s, not its own %s", chat, chat1)
	}
	// The compaction, its branch's latest answer, goes on in the branch's
	// chat, told only the new input.
	responsesCall(t, e, `{"model":"qwen3-max","previous_response_id":"`+c.ID+`","input":"and now?"}`)
	if chat2, _ := sentToQwen(t, e); chat2 != chat || lastUpstreamMessage(t, e) != "and now?" {
		t.Fatalf("continuing the compaction: chat %s (want %s), told %q", chat2, chat, lastUpstreamMessage(t, e))
	}
}

// TestBranchFromAResponseNotStored: a response made with store:false is
// continued while it is its session's latest answer, and asked from again
// while it is the one the latest turn was asked from
// (TestPreviousResponseIDRetryAfterAResponseNotStored); one the session has
// answered past by two turns cannot be told again to a new chat (its record
// is not read back), so branching from it is a 400 naming why, and no chat
// is opened.
func TestBranchFromAResponseNotStored(t *testing.T) {
	e := start(t, nil)
	r1, _ := answeredResponse(t, e, `{"model":"qwen3-max","store":false,"input":"My fish is called Nemo."}`)
	a, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"Alpha question","previous_response_id":"`+r1+`"}`)
	if !strings.Contains(text, "Nemo") {
		t.Fatalf("continuing a response not stored: %q", text)
	}
	answeredResponse(t, e, `{"model":"qwen3-max","input":"Alpha follow-up","previous_response_id":"`+a+`"}`)
	chats := e.sim.Chats()
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"Beta question","previous_response_id":"`+r1+`"}`, nil)
	b, _ := io.ReadAll(resp.Body)
	var got envelope
	if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(b, &got) != nil || got.Error.Code == nil || *got.Error.Code != "previous_response_not_stored" ||
		got.Error.Param == nil || *got.Error.Param != "previous_response_id" {
		t.Fatalf("branching from a response not stored: %d %s", resp.StatusCode, b)
	}
	if e.sim.Chats() != chats {
		t.Fatalf("%d chats opened", e.sim.Chats()-chats)
	}
}

// Two instances on one PostgreSQL database: a branch on one from a response
// the other answered a moment ago, its record still in that instance's
// recorder (RECORDER_LINGER), waits for the record rather than refuse the
// response as not stored; it is told that response's conversation, not the
// turns the other instance answered after it.
func TestABranchOnAnotherInstanceWaitsForItsResponsesRecord(t *testing.T) {
	a := startOn(t, "postgres", func(c *config.Config) { c.RecorderLinger = time.Second })
	b := startOn(t, "postgres", func(c *config.Config) { c.DatabaseURL, c.QwenBaseURL = a.dbURL, a.sim.URL })
	r1, _ := answeredResponse(t, a, `{"model":"qwen3-max","input":"My horse is called Comet."}`)
	alpha, _ := answeredResponse(t, a, `{"model":"qwen3-max","input":"Alpha question","previous_response_id":"`+r1+`"}`)
	answeredResponse(t, a, `{"model":"qwen3-max","input":"Alpha follow-up","previous_response_id":"`+alpha+`"}`)
	_, text := answeredResponse(t, b, `{"model":"qwen3-max","input":"Beta question","previous_response_id":"`+r1+`"}`)
	if !strings.Contains(text, "Comet") || strings.Contains(text, "Alpha") {
		t.Fatalf("the branch on the other instance: %q", text)
	}
	if a.sim.Chats() != 2 {
		t.Fatalf("%d chats", a.sim.Chats())
	}
}
