package qwen

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"qwenproxy/internal/jsonw"
)

// CompletionRequest is the body of POST /api/v2/chat/completions, in the
// field order and shape of the 2026 web client (qwen-2026.md §2.2): the
// camelCase duplicates of chat_id and parent_id, version "2.1", and exactly
// one message — Qwen refuses more ("Invalid input too many messages").
type CompletionRequest struct {
	Stream            bool      `json:"stream"`
	Version           string    `json:"version"`
	IncrementalOutput bool      `json:"incremental_output"`
	ChatID            string    `json:"chat_id"`
	ChatIDCamel       string    `json:"chatId"`
	ChatMode          string    `json:"chat_mode"` // set by Client.Complete from the credentials
	Model             string    `json:"model"`
	ParentID          *string   `json:"parent_id"`
	ParentIDCamel     *string   `json:"parentId"`
	Messages          []Message `json:"messages"` // always one
	Timestamp         int64     `json:"timestamp"`
	// Size is an image generation's aspect ratio ("1:1", "16:9", …; t2i
	// only; qwen-2026.md §2.2).
	Size string `json:"size,omitempty"`
}

// Message is the one Qwen chat message of a completion. Qwen wants both
// parentId spellings; id is null until Qwen assigns one.
type Message struct {
	ID            *string       `json:"id"`
	Fid           string        `json:"fid"`
	ParentIDCamel *string       `json:"parentId"`
	ChildrenIDs   []string      `json:"childrenIds"`
	Role          string        `json:"role"`
	Content       string        `json:"content"`
	UserAction    string        `json:"user_action"`
	Files         []any         `json:"files"`
	Timestamp     int64         `json:"timestamp"`
	Models        []string      `json:"models"`
	Model         string        `json:"model"`
	ChatType      string        `json:"chat_type"`
	FeatureConfig FeatureConfig `json:"feature_config"`
	Extra         MessageExtra  `json:"extra"`
	SubChatType   string        `json:"sub_chat_type"`
	ParentID      *string       `json:"parent_id"`
}

// FeatureConfig switches Qwen features per message. Without output_schema
// "phase" Qwen stops tagging deltas with their phase.
type FeatureConfig struct {
	ThinkingEnabled bool   `json:"thinking_enabled"`
	OutputSchema    string `json:"output_schema"`
	ResearchMode    string `json:"research_mode"`
	AutoThinking    bool   `json:"auto_thinking"`
	ThinkingMode    string `json:"thinking_mode"` // "Thinking" or "Fast"
	ThinkingFormat  string `json:"thinking_format"`
	AutoSearch      bool   `json:"auto_search"`
}

// SetThinking turns thinking on or off, with the mode the web client pairs
// with it (never auto_thinking: that goes with the mode "Auto", see
// leaveToQwen).
func (f *FeatureConfig) SetThinking(on bool) {
	f.ThinkingEnabled, f.AutoThinking, f.ThinkingMode = on, false, "Fast"
	if on {
		f.ThinkingMode = "Thinking"
	}
}

// leaveToQwen is the thinking of the guest web client, whatever the caller
// asked: on, with Qwen deciding how much (auto_thinking, thinking_mode
// "Auto"; qwen-2026.md §1.2, Q2Go's guest protocol).
func (f *FeatureConfig) leaveToQwen() {
	f.ThinkingEnabled, f.AutoThinking, f.ThinkingMode = true, true, "Auto"
}

// MessageExtra carries the web app's sub chat type.
type MessageExtra struct {
	Meta struct {
		SubChatType string `json:"subChatType"`
	} `json:"meta"`
}

// NewChatRequest is the body of POST /api/v2/chats/new as the 2026 web
// client sends it (no title). Its timestamp is in milliseconds, unlike the
// completion body's seconds.
type NewChatRequest struct {
	ChatIDCamel string   `json:"chatId"`
	Models      []string `json:"models"`
	ProjectID   string   `json:"project_id"`
	Timestamp   int64    `json:"timestamp"`
	ChatType    string   `json:"chat_type"`
	ChatMode    string   `json:"chat_mode"`
}

// MessageSpec is what the proxy decides about the message of a turn;
// NewCompletionRequest fills in the fields Qwen requires.
type MessageSpec struct {
	Role     string // "user", or "assistant" for a prefill
	Content  string
	Thinking bool
	// ThinkingAuto, with Thinking, leaves to Qwen how much to think
	// (auto_thinking, thinking_mode "Auto": what Qwen's web client sends
	// by default, qwen-2026.md §2.2), as an Anthropic client's adaptive
	// thinking asks.
	ThinkingAuto bool
	// ChatType is the message's chat type: ChatTypeText (the default),
	// ChatTypeSearch (the model searches the web), ChatTypeImage, or
	// ChatTypeImageEdit (the Files are the images to edit).
	ChatType string
	// AutoSearch lets the model search the web on its own, when it sees
	// the need (feature_config auto_search on any chat type; a search
	// chat always has it): qwen-2026.md §2.2.
	AutoSearch bool
	// Files are the message's attachments, in the web client's shape
	// (see File).
	Files []File
}

// NewCompletionRequest builds a streaming completion request for chatID
// whose one message hangs under parentID ("" on a chat's first turn). The
// chat mode is left to Client.Complete, which knows the credentials.
func NewCompletionRequest(chatID, parentID, model string, now time.Time, spec MessageSpec) *CompletionRequest {
	// The request and the arrays it points to are one allocation, not
	// four (each slice at full capacity: an append copies it); and the
	// parent's id is copied to the heap only when there is one.
	all := new(struct {
		req              CompletionRequest
		messages         [1]Message
		children, models [1]string
	})
	var parent *string
	if parentID != "" {
		id := parentID
		parent = &id
	}
	role := spec.Role
	if role == "" {
		role = "user"
	}
	chatType := spec.ChatType
	if chatType == "" {
		chatType = ChatTypeText
	}
	files := []any{}
	for _, f := range spec.Files {
		files = append(files, f)
	}
	m := Message{
		Fid:           newUUID(),
		ParentIDCamel: parent,
		ChildrenIDs:   all.children[:],
		Role:          role,
		Content:       spec.Content,
		UserAction:    "chat",
		Files:         files,
		Timestamp:     now.Unix(),
		Models:        all.models[:],
		ChatType:      chatType,
		FeatureConfig: FeatureConfig{OutputSchema: "phase", ResearchMode: "normal", ThinkingFormat: "summary", AutoSearch: chatType == ChatTypeSearch || spec.AutoSearch},
		SubChatType:   chatType,
		ParentID:      parent,
	}
	m.FeatureConfig.SetThinking(spec.Thinking)
	if spec.Thinking && spec.ThinkingAuto {
		m.FeatureConfig.leaveToQwen()
	}
	all.children[0], all.models[0] = newUUID(), model
	m.Extra.Meta.SubChatType = chatType
	all.messages[0] = m
	all.req = CompletionRequest{
		Stream:            true,
		Version:           "2.1",
		IncrementalOutput: true,
		ChatID:            chatID,
		ChatIDCamel:       chatID,
		Model:             model,
		ParentID:          parent,
		ParentIDCamel:     parent,
		Messages:          all.messages[:],
		Timestamp:         now.Unix(),
	}
	return &all.req
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	// 8-4-4-4-12 hex digits, written in place: a call makes several.
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:36], b[10:16])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

// NewUUID is an id of the kind Qwen's web client sends (version 4), for what
// speaks to Qwen outside this package: the accounts' sign-in, and the
// benchmark floor, which speaks as the proxy does. The proxy's own ids
// (calls, answers, conversations) are qwenproxy.NewID's.
func NewUUID() string { return newUUID() }

// encode is json.Marshal(r), written field by field: encoding/json's
// reflection over the two nested structs was a measurable part of every
// call. Only the files of a message with attachments go through
// encoding/json. FuzzCompletionRequestEncoding holds it to json.Marshal.
func (r *CompletionRequest) encode() ([]byte, error) {
	size := 512
	for i := range r.Messages {
		size += 640 + len(r.Messages[i].Content) + len(r.Messages[i].Content)/8
	}
	b := make([]byte, 0, size)
	b = append(b, `{"stream":`...)
	b = jsonw.Bool(b, r.Stream)
	b = append(b, `,"version":`...)
	b = jsonw.String(b, r.Version)
	b = append(b, `,"incremental_output":`...)
	b = jsonw.Bool(b, r.IncrementalOutput)
	b = append(b, `,"chat_id":`...)
	b = jsonw.String(b, r.ChatID)
	b = append(b, `,"chatId":`...)
	b = jsonw.String(b, r.ChatIDCamel)
	b = append(b, `,"chat_mode":`...)
	b = jsonw.String(b, r.ChatMode)
	b = append(b, `,"model":`...)
	b = jsonw.String(b, r.Model)
	b = append(b, `,"parent_id":`...)
	b = jsonw.StringOrNull(b, r.ParentID)
	b = append(b, `,"parentId":`...)
	b = jsonw.StringOrNull(b, r.ParentIDCamel)
	b = append(b, `,"messages":`...)
	if r.Messages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = r.Messages[i].appendJSON(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"timestamp":`...)
	b = jsonw.Int(b, r.Timestamp)
	if r.Size != "" {
		b = append(b, `,"size":`...)
		b = jsonw.String(b, r.Size)
	}
	return append(b, '}'), nil
}

func (m *Message) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = jsonw.StringOrNull(b, m.ID)
	b = append(b, `,"fid":`...)
	b = jsonw.String(b, m.Fid)
	b = append(b, `,"parentId":`...)
	b = jsonw.StringOrNull(b, m.ParentIDCamel)
	b = append(b, `,"childrenIds":`...)
	b = jsonw.Strings(b, m.ChildrenIDs)
	b = append(b, `,"role":`...)
	b = jsonw.String(b, m.Role)
	b = append(b, `,"content":`...)
	b = jsonw.String(b, m.Content)
	b = append(b, `,"user_action":`...)
	b = jsonw.String(b, m.UserAction)
	b = append(b, `,"files":`...)
	switch {
	case m.Files == nil:
		b = append(b, "null"...)
	case len(m.Files) == 0:
		b = append(b, "[]"...)
	default:
		files, err := json.Marshal(m.Files)
		if err != nil {
			return nil, err
		}
		b = append(b, files...)
	}
	b = append(b, `,"timestamp":`...)
	b = jsonw.Int(b, m.Timestamp)
	b = append(b, `,"models":`...)
	b = jsonw.Strings(b, m.Models)
	b = append(b, `,"model":`...)
	b = jsonw.String(b, m.Model)
	b = append(b, `,"chat_type":`...)
	b = jsonw.String(b, m.ChatType)
	f := &m.FeatureConfig
	b = append(b, `,"feature_config":{"thinking_enabled":`...)
	b = jsonw.Bool(b, f.ThinkingEnabled)
	b = append(b, `,"output_schema":`...)
	b = jsonw.String(b, f.OutputSchema)
	b = append(b, `,"research_mode":`...)
	b = jsonw.String(b, f.ResearchMode)
	b = append(b, `,"auto_thinking":`...)
	b = jsonw.Bool(b, f.AutoThinking)
	b = append(b, `,"thinking_mode":`...)
	b = jsonw.String(b, f.ThinkingMode)
	b = append(b, `,"thinking_format":`...)
	b = jsonw.String(b, f.ThinkingFormat)
	b = append(b, `,"auto_search":`...)
	b = jsonw.Bool(b, f.AutoSearch)
	b = append(b, `},"extra":{"meta":{"subChatType":`...)
	b = jsonw.String(b, m.Extra.Meta.SubChatType)
	b = append(b, `}},"sub_chat_type":`...)
	b = jsonw.String(b, m.SubChatType)
	b = append(b, `,"parent_id":`...)
	b = jsonw.StringOrNull(b, m.ParentID)
	return append(b, '}'), nil
}

// encode is json.Marshal(r), written field by field (see
// CompletionRequest.encode).
func (r *NewChatRequest) encode() []byte {
	b := make([]byte, 0, 160+len(r.ChatIDCamel)+len(r.ProjectID))
	b = append(b, `{"chatId":`...)
	b = jsonw.String(b, r.ChatIDCamel)
	b = append(b, `,"models":`...)
	b = jsonw.Strings(b, r.Models)
	b = append(b, `,"project_id":`...)
	b = jsonw.String(b, r.ProjectID)
	b = append(b, `,"timestamp":`...)
	b = jsonw.Int(b, r.Timestamp)
	b = append(b, `,"chat_type":`...)
	b = jsonw.String(b, r.ChatType)
	b = append(b, `,"chat_mode":`...)
	b = jsonw.String(b, r.ChatMode)
	return append(b, '}')
}
