package e2e

import (
	"net/http"
	"slices"
	"testing"
)

// TestConversationTakesItemsThatTellNothing: items that tell the model
// nothing — a reasoning item (Qwen keeps its own), a hosted tool's call —
// are items of a conversation all the same, as at OpenAI: made with it or
// added alone, they are listed as sent, and the conversation is answered
// in after them. They were a 400 saying items was empty.
func TestConversationTakesItemsThatTellNothing(t *testing.T) {
	e := start(t, nil)
	var conv convObject
	search := `{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"q"}}`
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[`+search+`]}`, &conv); status != http.StatusOK {
		t.Fatalf("create with a web_search_call alone: %d %s", status, b)
	}
	var added convList
	reasoning := `{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"thought"}]}`
	if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", "", `{"items":[`+reasoning+`]}`, &added); status != http.StatusOK || len(added.Data) != 1 || added.Data[0].Type != "reasoning" {
		t.Fatalf("add a reasoning item alone: %d %s", status, b)
	}
	_, text, _ := convResponse(t, e, `{"model":"qwen3-max","input":"hello","conversation":"`+conv.ID+`"}`)
	if text == "" {
		t.Fatal("no answer after the items")
	}
	var types []string
	for _, it := range listAll(t, e, conv.ID, "asc", 2) {
		types = append(types, it.Type)
	}
	if want := []string{"web_search_call", "reasoning", "message", "message"}; !slices.Equal(types, want) {
		t.Errorf("listed %v, want %v", types, want)
	}
}
