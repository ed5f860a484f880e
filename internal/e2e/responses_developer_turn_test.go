package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// A developer (or system) message in the input of a Responses turn that
// continues a response (previous_response_id) or a conversation that has
// answered comes after the conversation's answers: it is the system's word
// in its turn, told with it ("System: …"), as a Chat Completions system
// message after the first answer is. Until 2026-12-06 it was taken for the
// chat's system prompt: the chat was told it, with the instructions, as
// its whole system prompt, and the next turn with the instructions alone
// told them again, the chat's prompt changing back and forth.
func TestADeveloperMessageContinuingAResponseIsToldWithItsTurn(t *testing.T) {
	e := start(t, nil)
	const instructions = `"instructions":"You are terse."`
	id1, _ := answeredResponse(t, e, `{"model":"gpt-5",`+instructions+`,"input":"hello"}`)
	if told := lastUpstreamMessage(t, e); !strings.HasPrefix(told, "[System instructions]\nYou are terse.\n[End of system instructions]") {
		t.Fatalf("the first turn did not state the instructions: %q", told)
	}

	id2, _ := answeredResponse(t, e, `{"model":"gpt-5",`+instructions+`,"previous_response_id":"`+id1+`",`+
		`"input":[{"role":"developer","content":"Answer in French."},{"role":"user","content":"next"}]}`)
	if told := lastUpstreamMessage(t, e); told != "System: Answer in French.\n\nnext" {
		t.Fatalf("the developer message of a continuing turn is not told with its turn: %q", told)
	}
	id3, _ := answeredResponse(t, e, `{"model":"gpt-5",`+instructions+`,"previous_response_id":"`+id2+`","input":"again"}`)
	if told := lastUpstreamMessage(t, e); told != "again" {
		t.Fatalf("the chat's system prompt was changed by a developer message: the next turn restated it: %q", told)
	}
	// Without instructions, a system message alone: the same.
	answeredResponse(t, e, `{"model":"gpt-5","previous_response_id":"`+id3+`",`+
		`"input":[{"role":"system","content":"Be brief."},{"role":"user","content":"more"}]}`)
	if told := lastUpstreamMessage(t, e); told != "System: Be brief.\n\nmore" {
		t.Fatalf("the system message of a continuing turn is not told with its turn: %q", told)
	}
	if e.sim.Chats() != 1 {
		t.Fatalf("%d chats", e.sim.Chats())
	}

	// A branch off the first response: the new chat is told the
	// instructions as its system prompt, the first turn as the earlier
	// conversation, and the developer message with the turn, after it.
	answeredResponse(t, e, `{"model":"gpt-5",`+instructions+`,"previous_response_id":"`+id1+`",`+
		`"input":[{"role":"developer","content":"Answer in German."},{"role":"user","content":"branch"}]}`)
	told := lastUpstreamMessage(t, e)
	if !strings.HasPrefix(told, "[System instructions]\nYou are terse.\n[End of system instructions]\n\n[Earlier conversation, for context]\n\nUser: hello") ||
		!strings.HasSuffix(told, "[End of earlier conversation]\n\nSystem: Answer in German.\n\nbranch") {
		t.Fatalf("the branch's new chat was not told the developer message with its turn: %q", told)
	}
}

// The same in a conversation: once it has a response, a developer message
// sent in input, or added to it as an item, is told with its turn; before
// its first response it is part of the system prompt, as a system message
// before the first answer is in Chat Completions.
func TestADeveloperMessageContinuingAConversationIsToldWithItsTurn(t *testing.T) {
	e := start(t, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "",
		`{"items":[{"type":"message","role":"developer","content":"You are terse."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	convResponse(t, e, `{"model":"gpt-5","input":"hello","conversation":"`+conv.ID+`"}`)
	if told := lastUpstreamMessage(t, e); told != "[System instructions]\nYou are terse.\n[End of system instructions]\n\nhello" {
		t.Fatalf("the conversation's first developer message is not its system prompt: %q", told)
	}
	convResponse(t, e, `{"model":"gpt-5","conversation":"`+conv.ID+`",`+
		`"input":[{"role":"developer","content":"Answer in French."},{"role":"user","content":"next"}]}`)
	if told := lastUpstreamMessage(t, e); told != "System: Answer in French.\n\nnext" {
		t.Fatalf("the developer message of a continuing turn is not told with its turn: %q", told)
	}
	if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", "",
		`{"items":[{"role":"developer","content":"Be brief."}]}`, nil); status != http.StatusOK {
		t.Fatalf("add items: %d %s", status, b)
	}
	convResponse(t, e, `{"model":"gpt-5","input":"more","conversation":"`+conv.ID+`"}`)
	if told := lastUpstreamMessage(t, e); told != "System: Be brief.\n\nmore" {
		t.Fatalf("a developer item added after a response is not told with its turn: %q", told)
	}
	if e.sim.Chats() != 1 {
		t.Fatalf("%d chats", e.sim.Chats())
	}
}
