package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// lateCallSession is the X-Session-Id the tests below delete.
const lateCallSession = "deleted-while-answering"

// respond asks e a Responses API call under lateCallSession and returns its
// response id.
func respond(t *testing.T, e *env, input string) string {
	t.Helper()
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"`+input+`"}`, map[string]string{"X-Session-Id": lateCallSession})
	var out struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.ID == "" {
		t.Fatalf("%s: %d %v", input, resp.StatusCode, err)
	}
	return out.ID
}

// deleteLateCallSession deletes lateCallSession through e's history API.
func deleteLateCallSession(t *testing.T, e *env) {
	t.Helper()
	if status, v := getJSON(t, e, http.MethodDelete, "/v1/sessions/"+lateCallSession); status != http.StatusOK || v["deleted"] != true {
		t.Fatalf("delete the session: %d %v", status, v)
	}
}

// assertGone checks that no call asked before the delete is left: in the
// tables, the history's lists, the Responses API and the export.
func assertGone(t *testing.T, e *env, responseIDs ...string) {
	t.Helper()
	for _, table := range []string{"requests", "responses", "response_item_ids"} {
		if n := e.count(`SELECT COUNT(*) FROM ` + table); n != 0 {
			t.Errorf("%d rows left in %s after the session was deleted", n, table)
		}
	}
	if got := list(t, e, "/v1/requests?client_session_id="+lateCallSession); len(got) != 0 {
		t.Errorf("the history lists %d calls of the deleted session: %v", len(got), got)
	}
	for _, id := range responseIDs {
		if status, v := getJSON(t, e, http.MethodGet, "/v1/responses/"+id); status != http.StatusNotFound {
			t.Errorf("GET /v1/responses/%s after its session was deleted: %d %v, want 404", id, status, v)
		}
		if status, v := getJSON(t, e, http.MethodGet, "/v1/responses/"+id+"/input_items"); status != http.StatusNotFound {
			t.Errorf("its input items after its session was deleted: %d %v, want 404", status, v)
		}
	}
	// Its answer's message, named by reference (its id, msg_<call>0, is
	// the response's own with its prefix changed).
	for _, id := range responseIDs {
		item := "msg_" + strings.TrimPrefix(id, "resp_")[:32] + "0"
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":[{"type":"item_reference","id":"`+item+`"},
			{"role":"user","content":"and now?"}]}`, nil)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusOK {
			t.Errorf("an item_reference to the answer of a deleted session's call: %d %s", resp.StatusCode, body)
		}
	}
	resp := send(t, e, http.MethodGet, "/v1/export?format=jsonl", "", "", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), "asked before the delete") {
		t.Errorf("the export after the delete: %d %s", resp.StatusCode, body)
	}
}

// A session deleted while it answers a call (one instance, the call waiting
// on Qwen as DELETE /v1/sessions/{id} runs) takes that call with it: the
// call was recorded afterwards without a session, its bodies and its
// Responses API response still readable. A turn asked under the same
// X-Session-Id after the delete is kept. On both backends.
func TestDeletingASessionDeletesTheCallItIsAnswering(t *testing.T) {
	storetest.EachBackend(t, testDeletingASessionDeletesTheCallItIsAnswering)
}

func testDeletingASessionDeletesTheCallItIsAnswering(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	first := respond(t, e, "first turn, asked before the delete")

	reached := make(chan struct{}, 1)
	// Long enough for the delete to end first (checked below); the call
	// then gets its answer and is recorded after the delete.
	e.sim.Inject(qwensim.Fault{Delay: 3 * time.Second, Reached: reached})
	type result struct {
		status int
		id     string
		err    error
	}
	done := make(chan result, 1)
	url := e.app.URL() + "/v1/responses"
	go func() {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"model":"qwen3-max","input":"in flight, asked before the delete"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Session-Id", lateCallSession)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var out struct{ ID string }
		err = json.NewDecoder(resp.Body).Decode(&out)
		done <- result{resp.StatusCode, out.ID, err}
	}()
	<-reached // the call waits on Qwen
	deleteLateCallSession(t, e)
	select {
	case r := <-done:
		t.Fatalf("the call ended before the delete did (%d %v): the delay is too short to test anything", r.status, r.err)
	default:
	}
	r := <-done
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("the call in flight: %d %v", r.status, r.err)
	}
	assertGone(t, e, first, r.id)

	later := respond(t, e, "a later turn under the same id")
	e.sync()
	if n := e.count(`SELECT COUNT(*) FROM requests WHERE client_session_id = ?`, lateCallSession); n != 1 {
		t.Errorf("%d calls of the later turn stored, want 1", n)
	}
	if status, v := getJSON(t, e, http.MethodGet, "/v1/responses/"+later); status != http.StatusOK {
		t.Errorf("the later turn's response: %d %v", status, v)
	}
}

// Two instances on one PostgreSQL database: a call one answered, still in
// its recorder's queue (RECORDER_LINGER), as the other deletes the session
// goes with the session when it is written: it was stored after the delete
// without a session, its response still served, its items still named by
// item_reference. A later turn under the same X-Session-Id is kept.
func TestDeletingASessionDeletesItsCallQueuedOnAnotherInstance(t *testing.T) {
	a := startOn(t, "postgres", nil)
	b := startOn(t, "postgres", func(c *config.Config) {
		c.DatabaseURL, c.QwenBaseURL = a.dbURL, a.sim.URL
		c.RecorderLinger = time.Hour // its calls stay queued until synced
	})
	id := respond(t, b, "queued on B, asked before the delete")
	deleteLateCallSession(t, a)
	b.sync() // B's queue is written after the delete
	assertGone(t, a, id)

	later := respond(t, b, "a later turn under the same id")
	b.sync()
	if n := a.count(`SELECT COUNT(*) FROM requests WHERE client_session_id = ?`, lateCallSession); n != 1 {
		t.Errorf("%d calls of the later turn stored, want 1", n)
	}
	if status, v := getJSON(t, a, http.MethodGet, "/v1/responses/"+later); status != http.StatusOK {
		t.Errorf("the later turn's response: %d %v", status, v)
	}
}

// The same for a Conversations API conversation's session, deleted while a
// response in the conversation waits on Qwen: neither the call nor the
// conversation's items outlive the delete.
func TestDeletingAConversationsSessionDeletesTheResponseInFlight(t *testing.T) {
	e := start(t, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"role":"user","content":"Remember kiwi."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	convResponse(t, e, `{"model":"qwen3-max","input":"What fruit? asked before the delete","conversation":"`+conv.ID+`"}`)
	reached := make(chan struct{}, 1)
	e.sim.Inject(qwensim.Fault{Delay: 3 * time.Second, Reached: reached})
	done := make(chan error, 1)
	url := e.app.URL() + "/v1/responses"
	go func() {
		resp, err := http.Post(url, "application/json", strings.NewReader(
			`{"model":"qwen3-max","input":"in flight, asked before the delete","conversation":"`+conv.ID+`"}`))
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	<-reached
	if status, b := convCall(t, e, "DELETE", "/v1/sessions/"+conv.ID, "", "", nil); status != http.StatusOK {
		t.Fatalf("delete the session: %d %s", status, b)
	}
	select {
	case err := <-done:
		t.Fatalf("the response ended before the delete did (%v): the delay is too short to test anything", err)
	default:
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"requests", "responses", "response_item_ids", "conversations", "conversation_entries"} {
		if n := e.count(`SELECT COUNT(*) FROM ` + table); n != 0 {
			t.Errorf("%d rows left in %s after the conversation's session was deleted", n, table)
		}
	}
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items", "", "", nil); status != http.StatusNotFound {
		t.Errorf("its items after its session was deleted: %d %s, want a 404", status, b)
	}
}
