package historyapi

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	qp "qwenproxy"
)

type entriesFake struct {
	entries []qp.ConversationEntry
	reads   []string
}

func (f *entriesFake) ConversationEntries(_ context.Context, id string) ([]qp.ConversationEntry, error) {
	f.reads = append(f.reads, id)
	return f.entries, nil
}

func itemEntry(item string) qp.ConversationEntry {
	return qp.ConversationEntry{ID: "u", Item: json.RawMessage(item)}
}

// Each response shows the items added since the previous one, read as a
// request's input items are; a session not named conv_… reads nothing.
func TestConversationSent(t *testing.T) {
	f := &entriesFake{entries: []qp.ConversationEntry{
		itemEntry(`{"type":"message","role":"user","content":"Remember kiwi."}`),
		itemEntry(`{"type":"reasoning","summary":[]}`), // tells the model nothing
		{ID: "req-1", ResponseID: "resp_1"},
		{ID: "req-2", ResponseID: "resp_2"},
		itemEntry(`{"type":"function_call","call_id":"c1","name":"look","arguments":"{}"}`),
		itemEntry(`{"type":"function_call_output","call_id":"c1","output":"found"}`),
		{ID: "req-3", ResponseID: "resp_3"},
		itemEntry(`{"role":"user","content":"not sent yet"}`),
	}}
	sent, err := ReadConversationSent(context.Background(), f, "conv_1")
	if err != nil {
		t.Fatal(err)
	}
	want := ConversationSent{
		"req-1": {{Role: "user", Content: "Remember kiwi.", FromConversation: true}},
		"req-3": {
			{Role: "assistant", ToolCalls: []ToolCallJSON{{ID: "c1", Name: "look", Arguments: "{}"}}, FromConversation: true},
			{Role: "tool", ToolCallID: "c1", Content: "found", FromConversation: true},
		},
	}
	if !reflect.DeepEqual(sent, want) {
		t.Fatalf("sent:\n got %+v\nwant %+v", sent, want)
	}
	if sent, err := ReadConversationSent(context.Background(), f, "7f1c-session"); err != nil || sent != nil || len(f.reads) != 1 {
		t.Fatalf("a session that is not a conversation's: %v %v, reads %v", sent, err, f.reads)
	}
	// A call not in the conversation (one that failed) shows its input alone.
	turn := sent.Turn(&qp.RequestRecord{RequestID: "req-failed", OpenAIRequest: json.RawMessage(`{"input":"hi"}`)})
	if !reflect.DeepEqual(turn.Input, []MessageJSON{{Role: "user", Content: "hi"}}) {
		t.Fatalf("a failed call's input: %+v", turn.Input)
	}
}
