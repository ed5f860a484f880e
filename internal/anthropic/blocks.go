package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"qwenproxy/internal/openai"
)

// readBlockTypes are the block types whose fields Block decodes.
var readBlockTypes = []string{"text", "image", "document", "tool_result", "tool_use", "thinking", "redacted_thinking"}

// decodeBlocks reads a list of content blocks one by one, so that a bad
// block is told as that block: a list whose one block had a field of
// another type than Block's (a search_result's string source) was refused
// whole as "must be a string or a list of content blocks". A block of a
// type the proxy does not read comes back with its type alone, for the
// caller to refuse by name; one of a type it reads, with a field of the
// wrong type, is a 400 naming that field. notList is the message for a
// value that is not a list at all.
func decodeBlocks(raw json.RawMessage, param, notList string) ([]Block, *openai.Error) {
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, openai.InvalidRequest(param, "invalid_type", "%s: %s", param, notList)
	}
	blocks := make([]Block, len(items))
	for i, item := range items {
		err := json.Unmarshal(item, &blocks[i])
		if err == nil {
			continue
		}
		bp := fmt.Sprintf("%s.%d", param, i)
		var head struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(item, &head) != nil || head.Type == "" {
			return nil, openai.InvalidRequest(bp, "invalid_type", "%s: must be a content block, an object with a type", bp)
		}
		if !slices.Contains(readBlockTypes, head.Type) {
			blocks[i] = Block{Type: head.Type}
			continue
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, openai.InvalidRequest(bp+"."+te.Field, "invalid_type", "%s.%s: must not be a JSON %s in the %s block", bp, te.Field, te.Value, head.Type)
		}
		return nil, openai.InvalidRequest(bp, "invalid_type", "%s: malformed %s block", bp, head.Type)
	}
	return blocks, nil
}
