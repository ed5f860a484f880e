package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// previous_response_id names the conversation a Responses call continues;
// an X-Session-Id beside it naming another session made the answer
// continue that other conversation (whose context the model then read),
// and one beside an id of no session skipped the id's check. Now the two
// must agree: a disagreement, or an id that continues nothing, is a 400
// that opens no chat.
func TestPreviousResponseIDAndXSessionIDMustAgree(t *testing.T) {
	e := start(t, nil)
	create := func(header map[string]string, body string) (int, string) {
		resp := send(t, e, "POST", "/v1/responses", "application/json", body, header)
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, b := create(map[string]string{"X-Session-Id": "other-talk"}, `{"model":"qwen3-max","input":"my dog is Rex"}`); status != http.StatusOK {
		t.Fatalf("other conversation: %d %s", status, b)
	}
	status, b := create(nil, `{"model":"qwen3-max","input":"my cat is Tom"}`)
	var first struct{ ID string }
	if status != http.StatusOK || json.Unmarshal([]byte(b), &first) != nil {
		t.Fatalf("create: %d %s", status, b)
	}
	chats := e.sim.Chats()
	noSession := first.ID[:len("resp_")+32]
	for _, c := range []struct{ name, header, id, code string }{
		{"another session", "other-talk", first.ID, "session_conflict"},
		{"a new session", "new-talk", first.ID, "session_conflict"},
		{"a response of no session", "no-such", noSession + "bm8tc3VjaA", "previous_response_not_found"}, // "no-such"
	} {
		status, b := create(map[string]string{"X-Session-Id": c.header}, `{"model":"qwen3-max","input":"what is my pet?","previous_response_id":"`+c.id+`"}`)
		var got envelope
		_ = json.Unmarshal([]byte(b), &got)
		if status != http.StatusBadRequest || got.Error.Code == nil || *got.Error.Code != c.code || got.Error.Param == nil || *got.Error.Param != "previous_response_id" {
			t.Errorf("%s: %d %s", c.name, status, b)
		}
	}
	if n := e.sim.Chats(); n != chats {
		t.Fatalf("%d Qwen chats opened for calls refused", n-chats)
	}
	// The header naming the response's own session agrees.
	session := e.lastRow().SessionID
	status, b = create(map[string]string{"X-Session-Id": session}, `{"model":"qwen3-max","input":"what is my pet?","previous_response_id":"`+first.ID+`"}`)
	if status != http.StatusOK || !strings.Contains(b, `Earlier you said: \"my cat is Tom\"`) {
		t.Fatalf("the same session: %d %s", status, b)
	}
}
