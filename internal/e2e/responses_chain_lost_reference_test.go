package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// TestAChainWhoseReferenceIsLostIsToldWithAPlaceholder: a new chat told the
// conversation a previous_response_id stands for — a branch off an earlier
// answer, or a chat Qwen lost — where a response of the chain named, by an
// item_reference, an item that can no longer be read back (a conversation's
// item over RECORD_MAX_BODY_BYTES, so not kept with the response's record,
// its conversation deleted since). The whole earlier conversation was left
// untold, the call answered 200 as if it had never been. Now the rest of
// the chain is told, the lost item as "[item_reference ID: no longer
// recorded]", and input_tokens counts the branch as /v1/responses answers
// it. On both backends.
func TestAChainWhoseReferenceIsLostIsToldWithAPlaceholder(t *testing.T) {
	storetest.EachBackend(t, testAChainWhoseReferenceIsLostIsToldWithAPlaceholder)
}

func testAChainWhoseReferenceIsLostIsToldWithAPlaceholder(t *testing.T, backend string) {
	e := startOn(t, backend, func(c *config.Config) { c.RecordMaxBodyBytes = 4096 })
	long := "Remember the word kiwi. " + strings.Repeat("x", 5400)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"role":"user","content":"`+long+`"}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	var listed convList
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items", "", "", &listed); status != http.StatusOK || len(listed.Data) != 1 {
		t.Fatalf("list: %d %s", status, b)
	}
	item := listed.Data[0].ID
	r, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":[{"type":"item_reference","id":"`+item+`"},{"role":"user","content":"remember"}]}`)
	r2, _ := answeredResponse(t, e, `{"model":"qwen3-max","previous_response_id":"`+r+`","input":"second turn"}`)
	r3, _ := answeredResponse(t, e, `{"model":"qwen3-max","previous_response_id":"`+r2+`","input":"third turn"}`)
	if status, b := convCall(t, e, "DELETE", "/v1/conversations/"+conv.ID, "", "", nil); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, b)
	}
	placeholder := "[item_reference " + item + ": no longer recorded]"

	branch := `{"model":"qwen3-max","previous_response_id":"` + r + `","input":"branch off R"}`
	if resp := postJSON(t, e, "/v1/responses/input_tokens", branch, nil); resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("input_tokens of the branch: %d %s", resp.StatusCode, b)
	}
	chats := e.sim.Chats()
	answeredResponse(t, e, branch)
	if _, sent := sentToQwen(t, e); e.sim.Chats() != chats+1 || !strings.Contains(sent, placeholder) || !strings.Contains(sent, "remember") ||
		!strings.Contains(sent, "branch off R") || strings.Contains(sent, "second turn") {
		t.Fatalf("the branch: %d chats opened, told %s", e.sim.Chats()-chats, sent)
	}

	// The chat of the first session lost: continuing its latest answer
	// tells a new chat the chain again.
	e.sim.ForgetChats()
	answeredResponse(t, e, `{"model":"qwen3-max","previous_response_id":"`+r3+`","input":"after R3"}`)
	if _, sent := sentToQwen(t, e); !strings.Contains(sent, placeholder) || !strings.Contains(sent, "remember") ||
		!strings.Contains(sent, "second turn") || !strings.Contains(sent, "third turn") || !strings.Contains(sent, "after R3") {
		t.Fatalf("the chat told again: told %s", sent)
	}
}
