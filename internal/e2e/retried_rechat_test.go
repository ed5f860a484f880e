package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/qwensim"
)

// A turn whose chat Qwen no longer knew moved to a new chat and failed
// there before any answer; the client's retry of it must still tell the
// new chat the conversation so far, not only the new message.
func TestARetryAfterAFailedMoveToANewChatReplaysTheConversation(t *testing.T) {
	e := start(t, nil)
	first, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("My horse is called Pip.")))
	if err != nil {
		t.Fatal(err)
	}
	params := chatParams(openai.UserMessage("My horse is called Pip."), openai.AssistantMessage(first.Choices[0].Message.Content),
		openai.UserMessage("please tell me a long story about her"))
	e.sim.ForgetChats()
	// The old chat's "not found", then the new chat's answer breaks off.
	e.sim.Inject(qwensim.Fault{CutAfter: 3, Times: 2})
	if _, err := streamUntilErrorWith(t, e, params); err == nil {
		t.Fatal("the cut turn did not fail")
	}
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if content := got.Choices[0].Message.Content; !strings.Contains(content, "My horse is called Pip.") {
		t.Fatalf("the retry lost the conversation: %q", content)
	}
	rows := e.rows()
	if len(rows) != 3 || rows[2].SessionID != rows[0].SessionID {
		t.Fatalf("rows %+v", rows)
	}
}

// The same by previous_response_id, which resends nothing: the retry's new
// chat is told the conversation rebuilt from the stored responses.
func TestAPreviousResponseIDRetryAfterAFailedMoveToANewChatReplaysTheConversation(t *testing.T) {
	e := start(t, nil)
	create := func(body string) (int, string) {
		resp := send(t, e, "POST", "/v1/responses", "application/json", body, nil)
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, b := create(`{"model":"qwen3-max","input":"my cat is Tom"}`)
	var first struct{ ID string }
	if status != http.StatusOK || json.Unmarshal([]byte(b), &first) != nil {
		t.Fatalf("create: %d %s", status, b)
	}
	e.sim.ForgetChats()
	// The old chat's "not found", then the new chat's answer breaks off.
	e.sim.Inject(qwensim.Fault{CutAfter: 3, Times: 2})
	if status, b := create(`{"model":"qwen3-max","input":"please tell me a long story","previous_response_id":"` + first.ID + `"}`); status == http.StatusOK {
		t.Fatalf("the cut turn did not fail: %s", b)
	}
	status, b = create(`{"model":"qwen3-max","input":"what is my cat?","previous_response_id":"` + first.ID + `"}`)
	if status != http.StatusOK || !strings.Contains(b, `my cat is Tom`) {
		t.Fatalf("the retry lost the conversation: %d %s", status, b)
	}
}
