package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/typeerror"
)

// readBlockTypes are the block types whose fields Block decodes.
var readBlockTypes = []string{"text", "image", "document", "tool_result", "tool_use", "thinking", "redacted_thinking", "tool_addition", "tool_removal", "compaction"}

// decodeBlocks reads a list of content blocks one by one, so that a bad
// block is told as that block: a list whose one block had a field of
// another type than Block's (a search_result's string source) was refused
// whole as "must be a string or a list of content blocks". A block of a
// type the proxy does not read comes back with its type alone, for the
// caller to refuse by name; one of a type it reads, with a field of the
// wrong type, is a 400 naming that field. notList is the message for a
// value that is not a list at all.
func decodeBlocks(raw json.RawMessage, param, notList string) ([]Block, *openai.Error) {
	if len(raw) > 0 && raw[0] == '[' {
		// The common case, decoded at once (a Claude Code request's
		// blocks are most of its 100 KB: BenchmarkRequest), in place when
		// it can be; a list that fails, or holds search results, is read
		// again block by block (and so does one with a block of no type, to
		// name it).
		blocks, ok := decodeBlocksInPlace(raw)
		if !ok {
			ok = json.Unmarshal(raw, &blocks) == nil
		}
		if ok && !slices.ContainsFunc(blocks, func(b Block) bool { return b.Type == "search_result" || b.Type == "" }) {
			return blocks, nil
		}
	}
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, openai.InvalidRequest(param, "invalid_type", "%s: %s, not %s", param, notList, typeerror.Value(raw))
	}
	blocks := make([]Block, len(items))
	for i, item := range items {
		err := json.Unmarshal(item, &blocks[i])
		if err == nil && blocks[i].Type != "search_result" && blocks[i].Type != "" {
			continue
		}
		bp := fmt.Sprintf("%s.%d", param, i)
		var head struct {
			Type string `json:"type"`
		}
		if trimmed := bytes.TrimSpace(item); len(trimmed) == 0 || trimmed[0] != '{' {
			return nil, typeError(bp, "a content block (an object with a type)", trimmed)
		}
		if e := fieldTypeError(bp, item, json.Unmarshal(item, &head)); e != nil {
			return nil, e
		}
		if head.Type == "" {
			return nil, openai.InvalidRequest(bp+".type", "missing_required_parameter", "%s.type: Field required", bp)
		}
		if head.Type == "search_result" { // its source is a string, not Block's
			text, err := searchResultText(item, bp)
			if err != nil {
				return nil, err
			}
			blocks[i] = Block{Type: "search_result", Text: &text}
			continue
		}
		if !slices.Contains(readBlockTypes, head.Type) {
			blocks[i] = Block{Type: head.Type}
			continue
		}
		if e := fieldTypeError(bp, item, err); e != nil {
			return nil, e
		}
		return nil, openai.InvalidRequest(bp, "invalid_type", "%s: malformed %s block", bp, head.Type)
	}
	return blocks, nil
}

// fieldTypeError is the 400 for err, from decoding the block at param
// (raw), when it is about one of its fields: that field's path, indexes
// and all, in Anthropic's words ("messages.0.content.1.source.media_type:
// must be a string, not a number"); nil for any other error.
func fieldTypeError(param string, raw json.RawMessage, err error) *openai.Error {
	path, what, ok := typeerror.Of(param, raw, err, true)
	if !ok || path == param {
		return nil
	}
	return openai.InvalidRequest(path, "invalid_type", "%s: %s", path, what)
}

// searchResultText is a search_result block (a RAG tool's or a user's
// source, Anthropic's search results) as the model reads it: its title and
// source each on a line, a blank line, then its text blocks. Citations are
// accepted and none are produced, as for documents.
func searchResultText(raw json.RawMessage, param string) (string, *openai.Error) {
	var r struct {
		Source  *string         `json:"source"`
		Title   *string         `json:"title"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		if e := fieldTypeError(param, raw, err); e != nil {
			return "", e
		}
		return "", openai.InvalidRequest(param, "invalid_type", "%s: malformed search_result block", param)
	}
	if r.Source == nil {
		return "", openai.InvalidRequest(param+".source", "missing_required_parameter", "%s.source: Field required", param)
	}
	if r.Title == nil {
		return "", openai.InvalidRequest(param+".title", "missing_required_parameter", "%s.title: Field required", param)
	}
	if len(bytes.TrimSpace(r.Content)) == 0 || bytes.TrimSpace(r.Content)[0] != '[' {
		return "", openai.InvalidRequest(param+".content", "invalid_type", "%s.content: must be a list of text blocks", param)
	}
	body, err := blocksText(r.Content, param+".content", "\n\n")
	if err != nil {
		return "", err
	}
	return "Search result: " + strings.TrimSpace(*r.Title) + "\nSource: " + strings.TrimSpace(*r.Source) + "\n\n" + body, nil
}
