package historyapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	qp "qwenproxy"
)

// A Conversations API conversation (conv_…) sends the items added to it
// (POST /v1/conversations with items, …/items) with its next response,
// before that request's own input: they are in no call's request body, so
// the transcript reads them from the conversation's entries.

// ConversationEntries reads a Conversations API conversation's entries,
// oldest first (none for a conversation deleted or never made).
type ConversationEntries interface {
	ConversationEntries(ctx context.Context, id string) ([]qp.ConversationEntry, error)
}

// ConversationSent is, for each response answered in a conversation (by
// its call's request id), the conversation's items it sent before its
// request's input: those added since the conversation's previous response.
// Nil for a session that is not a conversation's.
type ConversationSent map[string][]MessageJSON

// ReadConversationSent reads what the session's calls sent from their
// conversation, once for all its calls; nothing (and no read) for a session
// that is not named conv_… or without a conversation store.
func ReadConversationSent(ctx context.Context, store ConversationEntries, sessionID string) (ConversationSent, error) {
	if store == nil || !strings.HasPrefix(sessionID, "conv_") {
		return nil, nil
	}
	entries, err := store.ConversationEntries(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("items sent by conversation %s: %w", sessionID, err)
	}
	sent := ConversationSent{}
	var pending []MessageJSON
	for _, e := range entries {
		if e.ResponseID == "" {
			for _, m := range itemMessages(e.Item) {
				m.FromConversation = true
				pending = append(pending, m)
			}
			continue
		}
		// A response entry's ID is its call's request id; the items before
		// it since the previous response went with it. A response that
		// failed is not an entry: its items went (again) with the next.
		if len(pending) > 0 {
			sent[e.ID] = pending
		}
		pending = nil
	}
	return sent, nil
}

// Turn reads one call as a transcript turn, the conversation's items it
// sent first in its input.
func (s ConversationSent) Turn(r *qp.RequestRecord) TurnJSON {
	t := Turn(r)
	if items := s[r.RequestID]; len(items) > 0 {
		t.Input = withSent(t.Input, items, instructed(r.OpenAIRequest))
	}
	return t
}

// withSent puts items before input, after the system message a Responses
// request's instructions make (its system prompt, sent before everything).
func withSent(input, items []MessageJSON, instructions bool) []MessageJSON {
	head := 0
	if instructions && len(input) > 0 && input[0].Role == "system" {
		head = 1
	}
	out := make([]MessageJSON, 0, len(items)+len(input))
	out = append(out, input[:head]...)
	out = append(out, items...)
	return append(out, input[head:]...)
}

// instructed reports whether the transcript's input of body starts with its
// instructions (see newInput).
func instructed(body json.RawMessage) bool {
	var req struct {
		Messages     json.RawMessage `json:"messages"`
		Input        json.RawMessage `json:"input"`
		Instructions string          `json:"instructions"`
		Previous     string          `json:"previous_response_id"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.Messages) > 0 || req.Instructions == "" || req.Previous != "" {
		return false
	}
	_, first, ok := inputMessages(req.Input)
	return ok && first
}

// itemMessages reads one Responses API item as the conversation stores it:
// a message, a tool's result, or a call an answer made (its name is the
// wire message's name).
func itemMessages(item json.RawMessage) []MessageJSON {
	var it struct {
		wireMessage
		Type      string          `json:"type"`
		CallID    string          `json:"call_id"`
		Output    json.RawMessage `json:"output"`
		Arguments string          `json:"arguments"`
		Input     string          `json:"input"`
	}
	if len(item) == 0 || json.Unmarshal(item, &it) != nil {
		return nil
	}
	switch {
	case it.Type == "function_call_output" || it.Type == "custom_tool_call_output":
		return []MessageJSON{{Role: "tool", ToolCallID: it.CallID, Content: resultText(it.Output)}}
	case it.Type == "function_call":
		return []MessageJSON{{Role: "assistant", ToolCalls: []ToolCallJSON{{ID: it.CallID, Name: it.Name, Arguments: it.Arguments}}}}
	case it.Type == "custom_tool_call":
		return []MessageJSON{{Role: "assistant", ToolCalls: []ToolCallJSON{{ID: it.CallID, Name: it.Name, Arguments: it.Input, Custom: true}}}}
	case it.Role != "":
		return message(it.wireMessage)
	}
	return nil // an item that tells the model nothing (reasoning), as a request's own input reads it
}
