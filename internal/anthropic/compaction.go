package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"

	"qwenproxy/internal/jsonscan"
	"qwenproxy/internal/openai"
)

// Compaction is the beta compaction field (compact-2026-09-04), which the
// SDK's toolRunner sends for runner.compactBeforeNextTurn(): a request
// for a summary of the conversation in messages, answered by a compaction
// block alone that later requests send first in place of what it
// summarizes.
//
// The proxy answers it with Anthropic's failed compaction, a block without
// a summary (NoSummary), and asks Qwen nothing. Qwen keeps each chat's
// whole context and is only ever sent the new turn, so a summary would
// shorten nothing upstream, while a summary turn asked in the chat is a
// turn the conversation never had. The SDK takes the failed compaction in
// its stride — it warns "Compaction produced no summary; keeping the
// conversation as it is." and goes on with the whole conversation, which
// finds its Qwen chat as before — where an error would end the runner's
// loop.
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

// noSummaryBlock is a compaction block whose compaction produced no
// summary: Anthropic's content null, which clients may send back and which
// is then a no-op.
type noSummaryBlock struct {
	Type             string  `json:"type"` // "compaction"
	Content          *string `json:"content"`
	EncryptedContent *string `json:"encrypted_content"`
}

// NoSummary is the answer to a compaction request, message id in model's
// name: the compaction block without a summary, stop_reason "compaction",
// nothing used.
func NoSummary(id, model string) []byte {
	stop := "compaction"
	b, _ := json.Marshal(struct {
		ID           string           `json:"id"`
		Type         string           `json:"type"`
		Role         string           `json:"role"`
		Model        string           `json:"model"`
		Content      []noSummaryBlock `json:"content"`
		StopReason   *string          `json:"stop_reason"`
		StopSequence *string          `json:"stop_sequence"`
		Usage        Usage            `json:"usage"`
	}{ID: id, Type: "message", Role: "assistant", Model: model, Content: []noSummaryBlock{{Type: "compaction"}}, StopReason: &stop})
	return b
}

// NoSummaryEvents is NoSummary as Anthropic streams it: the message's
// shell, the block opened and closed without a delta, then the stop
// reason.
func NoSummaryEvents(id, model string) []byte {
	var b bytes.Buffer
	b.Write(MessageStart(id, model, Usage{}))
	b.Write(Event("content_block_start", map[string]any{"index": 0, "content_block": noSummaryBlock{Type: "compaction"}}))
	b.Write(BlockStop(0))
	b.Write(MessageDelta("compaction", nil, Usage{}))
	b.Write(MessageStop())
	return b.Bytes()
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
