package openai

import (
	"encoding/json"
	"time"

	"qwenproxy/internal/jsonw"
)

// Usage is the token count of a call.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	// PromptTokensDetails is there when Qwen read part of the prompt from
	// its cache.
	PromptTokensDetails *PromptTokensDetails `json:"prompt_tokens_details,omitempty"`
	// CompletionTokensDetails is there when the answer thought.
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// PromptTokensDetails is the part of prompt_tokens read from the cache.
type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

// CompletionTokensDetails is the part of completion_tokens spent thinking.
type CompletionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// appendDetails writes ,"prompt_tokens_details":{…} and
// ,"completion_tokens_details":{…} when there are any.
func (u *Usage) appendDetails(b []byte) []byte {
	if u.PromptTokensDetails != nil {
		b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
		b = jsonw.Int(b, int64(u.PromptTokensDetails.CachedTokens))
		b = append(b, '}')
	}
	if u.CompletionTokensDetails == nil {
		return b
	}
	b = append(b, `,"completion_tokens_details":{"reasoning_tokens":`...)
	b = jsonw.Int(b, int64(u.CompletionTokensDetails.ReasoningTokens))
	return append(b, '}')
}

// ChatCompletion is a non-streamed chat answer.
type ChatCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []ChatChoice `json:"choices"`
	Usage   Usage        `json:"usage"`
	// ServiceTier is the tier that served the answer: Qwen's one, OpenAI's
	// "default". SystemFingerprint is null: Qwen names no backend
	// configuration.
	ServiceTier       string  `json:"service_tier"`
	SystemFingerprint *string `json:"system_fingerprint"`
}

// ChatChoice is the one answer of a chat completion. Logprobs is null:
// Qwen gives none.
type ChatChoice struct {
	Index        int             `json:"index"`
	Message      ResponseMessage `json:"message"`
	Logprobs     *struct{}       `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

// ResponseMessage is the assistant's message. Content is null when the answer
// is only tool calls, as OpenAI sends it.
type ResponseMessage struct {
	Role    string  `json:"role"`
	Content *string `json:"content"`
	// Refusal is null: a refusal from Qwen is its content.
	Refusal          *string    `json:"refusal"`
	ReasoningContent string     `json:"reasoning_content,omitempty"`
	ToolCalls        []ToolCall `json:"tool_calls,omitempty"`
	// Annotations cite the web pages a searching answer drew on.
	Annotations []Annotation `json:"annotations,omitempty"`
	// FunctionCall answers a request in the legacy functions form.
	FunctionCall *FunctionCall `json:"function_call,omitempty"`
}

// TextCompletion is a non-streamed legacy completion answer.
type TextCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []TextChoice `json:"choices"`
	Usage   Usage        `json:"usage"`
}

// TextChoice is the one answer of a legacy completion.
type TextChoice struct {
	Text         string          `json:"text"`
	Index        int             `json:"index"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

// Model is an entry of GET /v1/models.
type Model struct {
	ID       string         `json:"id"`
	Object   string         `json:"object"`
	Created  int64          `json:"created"`
	OwnedBy  string         `json:"owned_by"`
	Metadata map[string]any `json:"metadata,omitempty"`
	// Anthropic's Models API names the same things so (its SDKs and
	// clients share the route): type "model", display_name, created_at
	// (RFC 3339).
	Type        string `json:"type"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"`
	// The rest of Anthropic's ModelInfo, which its SDKs type as always
	// there (null where unknown): the lengths Qwen's entry gives
	// (max_context_length, max_generation_length), an active lifecycle
	// (Qwen lists only active models), and no line, deprecation, retirement
	// or capabilities object (Qwen's capabilities are in metadata, in its
	// own words).
	MaxInputTokens *int            `json:"max_input_tokens"`
	MaxTokens      *int            `json:"max_tokens"`
	Lifecycle      string          `json:"lifecycle"`
	Capabilities   json.RawMessage `json:"capabilities"`
	Line           *string         `json:"line"`
	DeprecatedAt   *string         `json:"deprecated_at"`
	RetiresAt      *string         `json:"retires_at"`
}

// NewModel is a model object for both APIs. maxInput and maxOutput are its
// context and answer lengths in tokens, 0 when not known.
func NewModel(id, displayName string, created int64, ownedBy string, metadata map[string]any, maxInput, maxOutput int) Model {
	return Model{ID: id, Object: "model", Created: created, OwnedBy: ownedBy, Metadata: metadata,
		Type: "model", DisplayName: displayName, CreatedAt: time.Unix(created, 0).UTC().Format(time.RFC3339),
		MaxInputTokens: positive(maxInput), MaxTokens: positive(maxOutput), Lifecycle: "active", Capabilities: json.RawMessage("null")}
}

// positive is &n, or nil (JSON null) when n is not above 0.
func positive(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}

// Lengths are the model's context and answer lengths as NewModel takes
// them (0 for unknown), for an entry made after it (a name mapped onto it).
func (m Model) Lengths() (maxInput, maxOutput int) {
	if m.MaxInputTokens != nil {
		maxInput = *m.MaxInputTokens
	}
	if m.MaxTokens != nil {
		maxOutput = *m.MaxTokens
	}
	return maxInput, maxOutput
}

// ModelList is the body of GET /v1/models: OpenAI's list, with the paging
// fields of Anthropic's.
type ModelList struct {
	Object  string  `json:"object"`
	Data    []Model `json:"data"`
	HasMore bool    `json:"has_more"`
	FirstID *string `json:"first_id"`
	LastID  *string `json:"last_id"`
}

// NewModelList is the list of models as one page (has_more false).
func NewModelList(models []Model) ModelList {
	l := ModelList{Object: "list", Data: models}
	if len(models) > 0 {
		l.FirstID, l.LastID = &models[0].ID, &models[len(models)-1].ID
	}
	return l
}

// Encode is json.Marshal(c), with the common parts written field by field:
// every non-streamed answer went through encoding/json's reflection. Tool
// calls, annotations and a legacy function call, rarer, still go through
// encoding/json. FuzzChatCompletionEncode holds it to json.Marshal.
func (c *ChatCompletion) Encode() []byte {
	size := 256
	for i := range c.Choices {
		m := &c.Choices[i].Message
		if m.Content != nil {
			size += len(*m.Content) + len(*m.Content)/8
		}
		size += len(m.ReasoningContent) + len(m.ReasoningContent)/8
	}
	b := make([]byte, 0, size)
	b = append(b, `{"id":`...)
	b = jsonw.String(b, c.ID)
	b = append(b, `,"object":`...)
	b = jsonw.String(b, c.Object)
	b = append(b, `,"created":`...)
	b = jsonw.Int(b, c.Created)
	b = append(b, `,"model":`...)
	b = jsonw.String(b, c.Model)
	b = append(b, `,"choices":`...)
	if c.Choices == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range c.Choices {
			if i > 0 {
				b = append(b, ',')
			}
			b = c.Choices[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = jsonw.Int(b, int64(c.Usage.PromptTokens))
	b = append(b, `,"completion_tokens":`...)
	b = jsonw.Int(b, int64(c.Usage.CompletionTokens))
	b = append(b, `,"total_tokens":`...)
	b = jsonw.Int(b, int64(c.Usage.TotalTokens))
	b = c.Usage.appendDetails(b)
	b = append(b, `},"service_tier":`...)
	b = jsonw.String(b, c.ServiceTier)
	b = append(b, `,"system_fingerprint":`...)
	b = jsonw.StringOrNull(b, c.SystemFingerprint)
	return append(b, '}')
}

func (ch *ChatChoice) appendJSON(b []byte) []byte {
	m := &ch.Message
	b = append(b, `{"index":`...)
	b = jsonw.Int(b, int64(ch.Index))
	b = append(b, `,"message":{"role":`...)
	b = jsonw.String(b, m.Role)
	b = append(b, `,"content":`...)
	b = jsonw.StringOrNull(b, m.Content)
	b = append(b, `,"refusal":`...)
	b = jsonw.StringOrNull(b, m.Refusal)
	if m.ReasoningContent != "" {
		b = append(b, `,"reasoning_content":`...)
		b = jsonw.String(b, m.ReasoningContent)
	}
	if len(m.ToolCalls) > 0 {
		b = append(b, `,"tool_calls":`...)
		b = appendMarshaled(b, m.ToolCalls)
	}
	if len(m.Annotations) > 0 {
		b = append(b, `,"annotations":`...)
		b = appendMarshaled(b, m.Annotations)
	}
	if m.FunctionCall != nil {
		b = append(b, `,"function_call":`...)
		b = appendMarshaled(b, m.FunctionCall)
	}
	b = append(b, `},"logprobs":`...)
	if ch.Logprobs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, "{}"...)
	}
	b = append(b, `,"finish_reason":`...)
	b = jsonw.StringOrNull(b, ch.FinishReason)
	return append(b, '}')
}

// appendMarshaled appends v as encoding/json writes it: plain strings,
// numbers and structs of them, which cannot fail.
func appendMarshaled(b []byte, v any) []byte {
	enc, _ := json.Marshal(v)
	return append(b, enc...)
}
