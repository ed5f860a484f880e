package qwen

import "encoding/json"

// Chat types of a Qwen message (message.chat_type, and chats/new's
// chat_type): plain chat, chat with web search, image generation, image
// editing (qwen-2026.md §2.2, §4; the edit's images go in message.files).
const (
	ChatTypeText      = "t2t"
	ChatTypeSearch    = "search"
	ChatTypeImage     = "t2i"
	ChatTypeImageEdit = "image_edit"
)

// Capabilities is what a model can do, read from its model-list entry:
// meta.capabilities (vision, thinking), meta.chat_type (search, t2i,
// image_edit) and meta.think_skip (thinking required).
type Capabilities struct {
	Vision           bool // image inputs (capabilities.vision)
	Thinking         bool // thinking can be turned on (capabilities.thinking)
	ThinkingRequired bool // thinking cannot be turned off (think_skip.enable false)
	Search           bool // chat_type "search" is offered
	ImageGeneration  bool // chat_type "t2i" is offered
	ImageEdit        bool // chat_type "image_edit" is offered
	// MaxOutput is the most output tokens the entry gives the model
	// (max_generation_length), 0 when it gives none; MaxThinkingOutput is
	// a thinking model's bound on its thinking alone
	// (max_thinking_generation_length), which leaves a thinking answer's
	// whole output unbounded by the entry.
	MaxOutput         int
	MaxThinkingOutput int
}

// Capabilities reads the model's capabilities from its entry. Unreadable
// capability objects count as none.
func (m *Model) Capabilities() Capabilities {
	var flags struct {
		Vision   bool `json:"vision"`
		Thinking bool `json:"thinking"`
	}
	_ = json.Unmarshal(m.Info.Meta.Capabilities, &flags) // absent or odd: none
	c := Capabilities{Vision: flags.Vision, Thinking: flags.Thinking, ThinkingRequired: m.ThinkingRequired(),
		MaxOutput: max(m.Info.Meta.MaxGenerationLength, 0), MaxThinkingOutput: max(m.Info.Meta.MaxThinkingGenerationLength, 0)}
	for _, t := range m.Info.Meta.ChatType {
		switch t {
		case ChatTypeSearch:
			c.Search = true
		case ChatTypeImage:
			c.ImageGeneration = true
		case ChatTypeImageEdit:
			c.ImageEdit = true
		}
	}
	if c.ThinkingRequired {
		c.Thinking = true
	}
	return c
}
