package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/responses"
)

// TestAnItemReferenceMayLeaveItsTypeOut: openai-go's item reference, as its
// users write it (ResponseInputItemItemReferenceParam{ID: …}), is sent
// without "type": OpenAI reads an item of only an id as a reference. The
// proxy refused it with a 400 on input[N].role.
func TestAnItemReferenceMayLeaveItsTypeOut(t *testing.T) {
	e := start(t, nil)
	user := responses.ResponseInputItemParamOfMessage("My favourite colour is vermilion.", responses.EasyInputMessageRoleUser)
	first, err := e.client.Responses.New(ctxT(t), responses.ResponseNewParams{Model: "gpt-5",
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{user}}})
	if err != nil {
		t.Fatal(err)
	}
	input := responses.ResponseInputParam{user}
	for _, it := range first.Output {
		input = append(input, responses.ResponseInputItemUnionParam{OfItemReference: &responses.ResponseInputItemItemReferenceParam{ID: it.ID}})
	}
	input = append(input, responses.ResponseInputItemParamOfMessage("Which colour?", responses.EasyInputMessageRoleUser))
	next, err := e.client.Responses.New(ctxT(t), responses.ResponseNewParams{Model: "gpt-5",
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input}})
	if err != nil {
		t.Fatal(err)
	}
	if next.OutputText() == "" || e.sim.Chats() != 1 {
		t.Fatalf("continuation %s in %d chats", next.RawJSON(), e.sim.Chats())
	}
	if row := e.lastRow(); row.SessionID == "" || !strings.Contains(row.OpenAIRequest.String, `{"id":"`+first.Output[0].ID+`"}`) {
		t.Fatalf("recorded %s", row.OpenAIRequest.String)
	}
}
