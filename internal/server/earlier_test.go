package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// TestPlaceHeld: an item_reference of an earlier conversation naming an
// item no longer recorded is told as a placeholder, its id kept for the
// log; a found item is itself; a database that cannot say is its error (a
// 503), never a placeholder.
func TestPlaceHeld(t *testing.T) {
	found := &responses.Item{Role: "user", Content: json.RawMessage(`"kept"`)}
	unavailable := &openai.Error{Status: http.StatusServiceUnavailable, Code: "database_unavailable"}
	lookup := func(id string) (*responses.Item, *openai.Error) {
		switch id {
		case "msg_found":
			return found, nil
		case "msg_down":
			return nil, unavailable
		case "msg_ref":
			return &responses.Item{Type: "item_reference", ID: "msg_other"}, nil
		}
		return nil, nil
	}
	lost := map[string]bool{}
	held := placeHeld(lookup, lost)
	if it, err := held("msg_found"); it != found || err != nil {
		t.Fatalf("a found item: %+v %v", it, err)
	}
	if it, err := held("msg_down"); it != nil || err != unavailable {
		t.Fatalf("a database that cannot say: %+v %v", it, err)
	}
	for _, id := range []string{"msg_gone", "msg_ref"} {
		it, err := held(id)
		if err != nil || it == nil || it.Role != "user" || string(it.Content) != `"[item_reference `+id+`: no longer recorded]"` {
			t.Fatalf("%s: %+v %v", id, it, err)
		}
	}
	if len(lost) != 2 || !lost["msg_gone"] || !lost["msg_ref"] {
		t.Fatalf("lost: %v", lost)
	}
}
