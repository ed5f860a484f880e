package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// refusedPrevious posts body to path and checks its answer is a 400 with
// code on previous_response_id whose message holds each of want.
func refusedPrevious(t *testing.T, e *env, path, body, code string, want ...string) {
	t.Helper()
	resp := postJSON(t, e, path, body, nil)
	b, _ := io.ReadAll(resp.Body)
	var got envelope
	if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(b, &got) != nil || got.Error.Code == nil || *got.Error.Code != code ||
		got.Error.Param == nil || *got.Error.Param != "previous_response_id" {
		t.Fatalf("%s %s: %d %s", path, body, resp.StatusCode, b)
	}
	for _, w := range want {
		if !strings.Contains(got.Error.Message, w) {
			t.Fatalf("%s %s: the message does not name %q: %s", path, body, w, got.Error.Message)
		}
	}
}

// lastRow is the record of the latest call.
func lastRow(t *testing.T, e *env) row {
	t.Helper()
	rows := e.rows()
	if len(rows) == 0 {
		t.Fatal("no call recorded")
	}
	return rows[len(rows)-1]
}

// TestBranchOffAChainNotReadBackWhole: branching off from a response whose
// chain holds a response that cannot be read back — not stored, or
// deleted — is refused, as branching off from such a response is: a 400
// naming it and why, Qwen not asked, the call recorded. The new chat was
// told the chain from after it only, the conversation before it lost
// unseen. input_tokens refuses it alike. Continuing from the session's
// latest answer, which needs no rebuild, still goes on; a compaction
// starts the chain it ends, so what came before it is not asked for. On
// both backends.
func TestBranchOffAChainNotReadBackWhole(t *testing.T) {
	storetest.EachBackend(t, testBranchOffAChainNotReadBackWhole)
}

func testBranchOffAChainNotReadBackWhole(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	next := func(previous, body string) string {
		t.Helper()
		if previous != "" {
			body = `"previous_response_id":"` + previous + `",` + body
		}
		id, _ := answeredResponse(t, e, `{"model":"qwen3-max",`+body+`}`)
		return id
	}
	r1 := next("", `"input":"My cat is called Ziggy."`)
	a2 := next(next(r1, `"input":"A1"`), `"input":"A2"`)
	s1 := next(a2, `"store":false,"input":"S1"`)
	s2 := next(s1, `"input":"S2"`)
	s4 := next(next(s2, `"input":"S3"`), `"input":"S4"`) // S2 two turns back: branching off (one back is asked again in the chat)

	chats := e.sim.Chats()
	refusedPrevious(t, e, "/v1/responses", `{"model":"qwen3-max","previous_response_id":"`+s2+`","input":"branch off S2"}`,
		"previous_response_not_stored", s1, "store: false")
	if e.sim.Chats() != chats {
		t.Fatalf("%d chats opened", e.sim.Chats()-chats)
	}
	if r := lastRow(t, e); r.Path != "/v1/responses" || r.HTTPStatus != http.StatusBadRequest || r.ErrorType != "invalid_input" || !strings.Contains(r.Error, s1) {
		t.Fatalf("the refused branch is recorded as %+v", r)
	}
	refusedPrevious(t, e, "/v1/responses/input_tokens", `{"model":"qwen3-max","previous_response_id":"`+s2+`","input":"branch off S2"}`,
		"previous_response_not_stored", s1)
	if _, text := answeredResponse(t, e, `{"model":"qwen3-max","previous_response_id":"`+s4+`","input":"after S4"}`); !strings.Contains(text, "Ziggy") {
		t.Fatalf("continuing the session's latest answer: %q", text)
	}

	d1 := next("", `"input":"My dog is called Rex."`)
	d2 := next(d1, `"input":"D2"`)
	d3 := next(d2, `"input":"D3"`)
	d5 := next(next(d3, `"input":"D4"`), `"input":"D5"`)
	if resp := send(t, e, http.MethodDelete, "/v1/responses/"+d2, "", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	chats = e.sim.Chats()
	refusedPrevious(t, e, "/v1/responses", `{"model":"qwen3-max","previous_response_id":"`+d3+`","input":"branch off D3"}`,
		"previous_response_not_stored", d2, "deleted")
	refusedPrevious(t, e, "/v1/responses/compact", `{"model":"qwen3-max","previous_response_id":"`+d3+`"}`,
		"previous_response_not_stored", d2, "deleted")
	refusedPrevious(t, e, "/v1/responses/input_tokens", `{"model":"qwen3-max","previous_response_id":"`+d3+`","input":"branch off D3"}`,
		"previous_response_not_stored", d2, "deleted")
	if e.sim.Chats() != chats {
		t.Fatalf("%d chats opened", e.sim.Chats()-chats)
	}
	if _, text := answeredResponse(t, e, `{"model":"qwen3-max","previous_response_id":"`+d5+`","input":"after D5"}`); !strings.Contains(text, "Rex") {
		t.Fatalf("continuing the session's latest answer: %q", text)
	}

	// A compaction starts the chain it ends: a response not stored before
	// it is not asked for.
	x1 := next("", `"store":false,"input":"My bird is called Kiwi."`)
	x2 := next(x1, `"input":"X2"`)
	c := compact(t, e, `{"model":"qwen3-max","previous_response_id":"`+x2+`"}`)
	y1 := next(c.ID, `"input":"Y1"`)
	next(next(y1, `"input":"Y2"`), `"input":"Y3"`)
	chats = e.sim.Chats()
	answeredResponse(t, e, `{"model":"qwen3-max","previous_response_id":"`+y1+`","input":"branch off Y1"}`)
	if _, sent := sentToQwen(t, e); e.sim.Chats() != chats+1 || !strings.Contains(sent, "Y1") || !strings.Contains(sent, "branch off Y1") {
		t.Fatalf("branching off after a compaction: %d chats opened, told %s", e.sim.Chats()-chats, sent)
	}
}

// TestInputTokensRefusesABranchFromAResponseNotStored: input_tokens with a
// previous_response_id of a store:false response its session has answered
// past by two turns is the 400 POST /v1/responses answers
// (previous_response_not_stored), not a count of a turn that would be
// refused; while it is the session's latest answer, or the one its latest
// turn was asked from (asked again in the session's chat), it is counted.
func TestInputTokensRefusesABranchFromAResponseNotStored(t *testing.T) {
	e := start(t, nil)
	r1, _ := answeredResponse(t, e, `{"model":"qwen3-max","store":false,"input":"My fish is called Nemo."}`)
	body := `{"model":"qwen3-max","input":"Beta question","previous_response_id":"` + r1 + `"}`
	if resp := postJSON(t, e, "/v1/responses/input_tokens", body, nil); resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("counting from the session's latest answer: %d %s", resp.StatusCode, b)
	}
	a, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"Alpha question","previous_response_id":"`+r1+`"}`)
	if resp := postJSON(t, e, "/v1/responses/input_tokens", body, nil); resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("counting from the answer the session's latest turn was asked from: %d %s", resp.StatusCode, b)
	}
	a, _ = answeredResponse(t, e, `{"model":"qwen3-max","input":"Alpha follow-up","previous_response_id":"`+a+`"}`)
	refusedPrevious(t, e, "/v1/responses/input_tokens", body, "previous_response_not_stored", r1, "store: false")
	refusedPrevious(t, e, "/v1/responses", body, "previous_response_not_stored", r1, "store: false")
	if resp := postJSON(t, e, "/v1/responses/input_tokens", `{"model":"qwen3-max","input":"x","previous_response_id":"`+a+`"}`, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("counting from the session's latest answer: %d", resp.StatusCode)
	}
}

// TestADeletedPreviousResponseIsRecorded: a previous_response_id naming a
// deleted response is a 400 previous_response_not_found, recorded (as
// invalid_input) as one whose session does not exist is, on
// /v1/responses and /v1/responses/compact: it was in no record.
func TestADeletedPreviousResponseIsRecorded(t *testing.T) {
	e := start(t, nil)
	r1, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"My owl is called Hoot."}`)
	if resp := send(t, e, http.MethodDelete, "/v1/responses/"+r1, "", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	for _, path := range []string{"/v1/responses", "/v1/responses/compact"} {
		before := len(e.rows())
		refusedPrevious(t, e, path, `{"model":"qwen3-max","input":"again","previous_response_id":"`+r1+`"}`, "previous_response_not_found", r1)
		rows := e.rows()
		if len(rows) != before+1 {
			t.Fatalf("%s: %d calls recorded", path, len(rows)-before)
		}
		if r := rows[len(rows)-1]; r.Path != path || r.HTTPStatus != http.StatusBadRequest || r.ErrorType != "invalid_input" || r.Status != "error" ||
			!strings.Contains(r.Error, "not found") || r.Model != "qwen3-max" {
			t.Fatalf("%s recorded as %+v", path, r)
		}
	}
}
