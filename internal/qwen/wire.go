package qwen

import (
	"crypto/rand"
	"fmt"
	"time"
)

// CompletionRequest is the body of POST /api/v2/chat/completions, in the
// field order and shape the web app sends.
type CompletionRequest struct {
	Stream            bool      `json:"stream"`
	IncrementalOutput bool      `json:"incremental_output"`
	ChatID            string    `json:"chat_id"`
	ChatMode          string    `json:"chat_mode"`
	Model             string    `json:"model"`
	ParentID          *string   `json:"parent_id"`
	Messages          []Message `json:"messages"`
	Timestamp         int64     `json:"timestamp"`
}

// Message is one Qwen chat message. Qwen wants both parentId spellings.
type Message struct {
	Fid           string        `json:"fid"`
	ParentIDCamel *string       `json:"parentId"`
	ChildrenIDs   []string      `json:"childrenIds"`
	Role          string        `json:"role"`
	Content       string        `json:"content"`
	UserAction    string        `json:"user_action"`
	Files         []any         `json:"files"`
	Timestamp     int64         `json:"timestamp"`
	Models        []string      `json:"models"`
	ChatType      string        `json:"chat_type"`
	FeatureConfig FeatureConfig `json:"feature_config"`
	Extra         MessageExtra  `json:"extra"`
	SubChatType   string        `json:"sub_chat_type"`
	ParentID      *string       `json:"parent_id"`
}

// FeatureConfig switches Qwen features per message.
type FeatureConfig struct {
	ThinkingEnabled bool   `json:"thinking_enabled"`
	OutputSchema    string `json:"output_schema"`
}

// MessageExtra carries the web app's sub chat type.
type MessageExtra struct {
	Meta struct {
		SubChatType string `json:"subChatType"`
	} `json:"meta"`
}

// NewChatRequest is the body of POST /api/v2/chats/new. Its timestamp is in
// milliseconds, unlike the completion body's seconds.
type NewChatRequest struct {
	Title     string   `json:"title"`
	Models    []string `json:"models"`
	ChatMode  string   `json:"chat_mode"`
	ChatType  string   `json:"chat_type"`
	Timestamp int64    `json:"timestamp"`
}

// MessageSpec is what the proxy decides about a message; NewMessage fills in
// the fields Qwen requires.
type MessageSpec struct {
	Role     string
	Content  string
	Thinking bool
}

// NewCompletionRequest builds a streaming completion request for chatID whose
// messages hang under parentID ("" on a chat's first turn). System messages
// always have a null parent.
func NewCompletionRequest(chatID, parentID, model string, now time.Time, specs ...MessageSpec) *CompletionRequest {
	var parent *string
	if parentID != "" {
		parent = &parentID
	}
	req := &CompletionRequest{
		Stream:            true,
		IncrementalOutput: true,
		ChatID:            chatID,
		ChatMode:          "guest",
		Model:             model,
		ParentID:          parent,
		Timestamp:         now.Unix(),
	}
	for _, sp := range specs {
		p := parent
		if sp.Role == "system" {
			p = nil
		}
		m := Message{
			Fid:           newUUID(),
			ParentIDCamel: p,
			ChildrenIDs:   []string{},
			Role:          sp.Role,
			Content:       sp.Content,
			UserAction:    "chat",
			Files:         []any{},
			Timestamp:     now.Unix(),
			Models:        []string{model},
			ChatType:      "t2t",
			FeatureConfig: FeatureConfig{ThinkingEnabled: sp.Thinking, OutputSchema: "phase"},
			SubChatType:   "t2t",
			ParentID:      p,
		}
		m.Extra.Meta.SubChatType = "t2t"
		req.Messages = append(req.Messages, m)
	}
	return req
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewUUID is exported for the rest of the proxy, which names requests and
// sessions with the same kind of id.
func NewUUID() string { return newUUID() }
