package responses

import (
	"qwenproxy/internal/clip"
	"qwenproxy/internal/openai"
)

// distinctIDs refuses input items that share an id, as OpenAI does, in
// its words: an id names one item (in item_reference, in after when its
// input items are paged), and listed twice, after would name the first and
// a listing paged past the second would come back to it.
func distinctIDs(items []Item) *openai.Error {
	if len(items) < 2 {
		return nil
	}
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if it.ID == "" {
			continue
		}
		if seen[it.ID] {
			return openai.InvalidRequest("input", "", "Duplicate item found with id %s. Remove duplicate items from your input and try again.", clip.Head(it.ID, 128))
		}
		seen[it.ID] = true
	}
	return nil
}
