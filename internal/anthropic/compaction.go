package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/jsonscan"
	"qwenproxy/internal/openai"
)

// Compaction is the beta compaction field (compact-2026-09-04), which the
// SDK's toolRunner sends for runner.compactBeforeNextTurn(): a request
// for a summary of the conversation in messages, answered by a compaction
// block alone that later requests send first in place of what it
// summarizes.
//
// Qwen writes the summary, asked in the conversation's own chat (Turn), so
// that the chat goes on after it: its answer is the compaction block, and
// the conversation that begins with that block finds the chat (the server
// keys the session by the answer alone). The chat keeps the whole
// conversation; what compaction shortens is what the client resends,
// which is what a new chat is told when the old one is outgrown.
type Compaction struct {
	Type         string  `json:"type"`
	Instructions *string `json:"instructions"`
}

// Compacts reports whether the request asks for a compaction.
func (r *Request) Compacts() bool { return r.Compaction != nil }

// checkCompaction holds the compaction field to Anthropic's form.
func (r *Request) checkCompaction() *openai.Error {
	if c := r.Compaction; c != nil && c.Type != "summarize" {
		return openai.InvalidRequest("compaction.type", "invalid_value", "compaction.type: must be summarize, not %q", c.Type)
	}
	return nil
}

// Markers of the turns compaction adds: Qwen is asked for the summary as a
// turn of the chat, and after a compaction that the conversation ends with
// (the SDK's tool runner compacts between a tool result and the model's
// next step) to go on from it.
const (
	summarizeAsk = "Summarize the conversation so far, so that it can go on from your summary alone: the task and what was asked, " +
		"what has been done and found (tool calls and their results that matter), decisions made, and what remains to do. " +
		"Write only the summary, in plain text, without calling any function."
	goOnAsk = "Go on from your summary above: continue the task where the conversation left it."
)

// Turn is the conversation as the core is to ask it: Conversation, and for
// a compaction request the ask for the summary after it (its instructions
// when given, which replace the proxy's); a conversation that ends with a
// compaction block (nothing new after the summary) asks the model to go on
// from it, as Anthropic samples after the block.
func (r *Request) Turn() []qp.Message {
	msgs := r.Conversation()
	if r.Compacts() {
		ask := summarizeAsk
		if in := r.Compaction.Instructions; in != nil && strings.TrimSpace(*in) != "" {
			ask = *in
		}
		return append(msgs[:len(msgs):len(msgs)], qp.Message{Role: "user", Text: ask})
	}
	if r.endsCompacted {
		return append(msgs[:len(msgs):len(msgs)], qp.Message{Role: "user", Text: goOnAsk})
	}
	return msgs
}

// CompactionBlock is the answer to a compaction request: Qwen's summary,
// and the tool changes of the conversation it replaces
// (ToolChangesInEffect), which the client sends back with it.
func CompactionBlock(summary string, toolChanges json.RawMessage) ContentBlock {
	return ContentBlock{Type: "compaction", Content: summary, EncryptedContent: json.RawMessage("null"), ToolChanges: toolChanges}
}

// CompactionDelta is a compaction block's summary, as Anthropic streams
// it: one delta after the block opened without content. The SDK's stream
// takes the block's other fields (tool_changes) from its start.
func CompactionDelta(index int, summary string) []byte {
	return Event("content_block_delta", map[string]any{"index": index,
		"delta": map[string]any{"type": "compaction_delta", "content": summary, "encrypted_content": nil}})
}

// compactionBlock reads a compaction block of an assistant message, at
// param: its summary (nil for a failed compaction's null, which is a
// no-op, as Anthropic takes one back), and the tool changes of the range
// it summarizes, which apply from where it stands.
func compactionBlock(b *Block, param string) (*string, []toolChange, *openai.Error) {
	if openai.IsNull(b.Content) {
		return nil, nil, nil
	}
	summary, ok := jsonscan.StringValue(bytes.TrimSpace(b.Content))
	if !ok {
		return nil, nil, typeError(param+".content", "a string or null", b.Content)
	}
	if summary == "" {
		return nil, nil, openai.InvalidRequest(param+".content", "invalid_value", "%s.content: must not be empty (null for a compaction without a summary)", param)
	}
	if openai.IsNull(b.ToolChanges) {
		return &summary, nil, nil
	}
	var entries []Block
	if err := json.Unmarshal(b.ToolChanges, &entries); err != nil {
		return nil, nil, typeError(param+".tool_changes", "a list of tool_addition and tool_removal entries", b.ToolChanges)
	}
	changes := make([]toolChange, 0, len(entries))
	for i, e := range entries {
		ep := fmt.Sprintf("%s.tool_changes.%d", param, i)
		if e.Type != "tool_addition" && e.Type != "tool_removal" {
			return nil, nil, openai.InvalidRequest(ep+".type", "invalid_value", "%s.type: must be tool_addition or tool_removal, not %q", ep, e.Type)
		}
		c, err := readToolChange(e, ep)
		if err != nil {
			return nil, nil, err
		}
		changes = append(changes, c)
	}
	return &summary, changes, nil
}
