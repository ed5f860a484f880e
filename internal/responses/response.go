package responses

import (
	"bytes"
	"cmp"
	"encoding/json"

	qp "qwenproxy"
	"qwenproxy/internal/httpjson"
)

// Response is the response object: what POST /v1/responses answers, what
// response.created/completed/failed carry, and what GET returns.
type Response struct {
	ID                 string             `json:"id"`
	Object             string             `json:"object"` // "response"
	CreatedAt          int64              `json:"created_at"`
	Status             string             `json:"status"`                 // in_progress, completed, incomplete (cut at max_output_tokens), failed
	CompletedAt        *int64             `json:"completed_at,omitempty"` // Unix seconds; only when completed, as OpenAI gives it
	Error              *Error             `json:"error"`
	IncompleteDetails  *IncompleteDetails `json:"incomplete_details"`
	Instructions       json.RawMessage    `json:"instructions"`      // the request's, byte for byte
	MaxOutputTokens    json.RawMessage    `json:"max_output_tokens"` // the request's, an integer (1e3 as 1000), or null
	Model              string             `json:"model"`
	Output             []OutputItem       `json:"output"`
	ParallelToolCalls  bool               `json:"parallel_tool_calls"`
	PreviousResponseID *string            `json:"previous_response_id"`
	Reasoning          json.RawMessage    `json:"reasoning"`
	Store              bool               `json:"store"`
	Temperature        *float64           `json:"temperature"` // the request's, without effect; null when it sent none
	Text               json.RawMessage    `json:"text"`
	ToolChoice         json.RawMessage    `json:"tool_choice"`
	Tools              json.RawMessage    `json:"tools"`
	TopP               *float64           `json:"top_p"`      // as Temperature
	Truncation         string             `json:"truncation"` // the request's, "disabled" by default
	Usage              *Usage             `json:"usage"`
	Metadata           map[string]string  `json:"metadata"`
	// The request's settings without effect, echoed as OpenAI echoes
	// them (null, false or 0 when not sent); service_tier is the tier
	// that served the response, "default".
	Background           json.RawMessage `json:"background"`
	MaxToolCalls         json.RawMessage `json:"max_tool_calls"`
	PromptCacheKey       json.RawMessage `json:"prompt_cache_key"`
	PromptCacheRetention json.RawMessage `json:"prompt_cache_retention"`
	SafetyIdentifier     json.RawMessage `json:"safety_identifier"`
	ServiceTier          json.RawMessage `json:"service_tier"`
	TopLogprobs          json.RawMessage `json:"top_logprobs"`
	User                 json.RawMessage `json:"user"`
	// Conversation names the conversation the response was answered in
	// (the request's conversation); left out otherwise.
	Conversation *ConversationRef `json:"conversation,omitempty"`
}

// ConversationRef names a conversation (conv_…), as a response names the
// one it was answered in.
type ConversationRef struct {
	ID string `json:"id"`
}

// Error is a failed response's error.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Usage is the token count of a response.
type Usage struct {
	InputTokens        int `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int `json:"total_tokens"`
}

// OutputItem is an output item: a reasoning item, a message or a function
// call.
type OutputItem struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Status    string         `json:"status,omitempty"`
	Role      string         `json:"role,omitempty"`
	Content   *[]ContentPart `json:"content,omitempty"`
	Summary   *[]ContentPart `json:"summary,omitempty"`
	CallID    string         `json:"call_id,omitempty"`
	Name      string         `json:"name,omitempty"`
	Namespace string         `json:"namespace,omitempty"` // a function call's, when a namespace tool declared it
	Arguments *string        `json:"arguments,omitempty"`
	Input     *string        `json:"input,omitempty"` // a custom tool call's
	// A web_search_call's action: the search Qwen made.
	Action *SearchAction `json:"action,omitempty"`
	// An image_generation_call's image, base64 (null until it is done).
	Result json.RawMessage `json:"result,omitempty"`
}

// ImageCallText is an image_generation_call as the model is told it in a
// conversation: the image is in its chat (or, for a conversation begun at
// OpenAI, was shown to its user), not in the text.
const ImageCallText = "[an image, generated]"

// ImageGenerationCall is an image_generation_call item: Qwen's image
// generation (status in_progress, generating, completed or failed), result
// the image as base64, nil while there is none.
func ImageGenerationCall(id, status string, result *string) OutputItem {
	raw := json.RawMessage("null")
	if result != nil {
		raw, _ = json.Marshal(*result) // a string: cannot fail
	}
	return OutputItem{ID: id, Type: "image_generation_call", Status: status, Result: raw}
}

// SearchAction is a web_search_call's action: a search, what it searched
// for and, when the request's include asks for
// web_search_call.action.sources, the pages it found.
type SearchAction struct {
	Type    string          `json:"type"` // "search"
	Query   string          `json:"query"`
	Queries []string        `json:"queries,omitempty"`
	Sources *[]SearchSource `json:"sources,omitempty"`
}

// SearchSource is a page a search found.
type SearchSource struct {
	Type string `json:"type"` // "url"
	URL  string `json:"url"`
}

// WebSearchCall is a web_search_call item: Qwen's own web search, made for
// the answer (status in_progress, searching, completed or failed). sources
// are nil unless the client asked for them.
func WebSearchCall(id, status, query string, sources *[]SearchSource) OutputItem {
	a := &SearchAction{Type: "search", Query: query, Sources: sources}
	if query != "" {
		a.Queries = []string{query}
	}
	return OutputItem{ID: id, Type: "web_search_call", Status: status, Action: a}
}

// ContentPart is an output_text part of a message, or a summary_text part of
// a reasoning item.
type ContentPart struct {
	Type        string        `json:"type"`
	Text        string        `json:"text"`
	Annotations *[]Annotation `json:"annotations,omitempty"` // output_text only
}

// Annotation is a url_citation of an output_text part: a web page the
// answer drew on and the span of the text (Unicode code points, end
// exclusive) that cites it.
type Annotation struct {
	Type       string `json:"type"` // "url_citation"
	StartIndex int    `json:"start_index"`
	EndIndex   int    `json:"end_index"`
	Title      string `json:"title"`
	URL        string `json:"url"`
}

// Reasoning is a reasoning item whose summary is text (Qwen's thinking).
func Reasoning(id, text string) OutputItem {
	parts := []ContentPart{}
	if text != "" {
		parts = append(parts, ContentPart{Type: "summary_text", Text: text})
	}
	return OutputItem{ID: id, Type: "reasoning", Summary: &parts}
}

// Message is an assistant message item; status is in_progress, completed
// or incomplete (the answer broke off in it).
// annotations cite the text's sources.
func Message(id, status string, text *string, annotations ...Annotation) OutputItem {
	parts := []ContentPart{}
	if text != nil {
		parts = append(parts, OutputText(*text, annotations...))
	}
	return OutputItem{ID: id, Type: "message", Status: status, Role: "assistant", Content: &parts}
}

// OutputText is a message's text part.
func OutputText(text string, annotations ...Annotation) ContentPart {
	list := append([]Annotation{}, annotations...)
	return ContentPart{Type: "output_text", Text: text, Annotations: &list}
}

// FunctionCall is a function call item.
func FunctionCall(id, status string, c qp.ToolCall, arguments string) OutputItem {
	return OutputItem{ID: id, Type: "function_call", Status: status, CallID: c.ID, Name: c.Name, Arguments: &arguments}
}

// CustomToolCall is a custom tool call item: its input is free text.
func CustomToolCall(id, status string, c qp.ToolCall, input string) OutputItem {
	return OutputItem{ID: id, Type: "custom_tool_call", Status: status, CallID: c.ID, Name: c.Name, Input: &input}
}

// InputItem is an input item as GET …/input_items lists it.
type InputItem struct {
	ID        string       `json:"id"`
	Type      string       `json:"type"`
	Role      string       `json:"role,omitempty"`
	Status    string       `json:"status,omitempty"`
	Content   *[]InputPart `json:"content,omitempty"` // a message's
	CallID    string       `json:"call_id,omitempty"`
	Name      string       `json:"name,omitempty"`
	Arguments *string      `json:"arguments,omitempty"`
	Input     *string      `json:"input,omitempty"`
	Output    *CallOutput  `json:"output,omitempty"`
	// Tools are an additional_tools item's tools, as sent.
	Tools json.RawMessage `json:"tools,omitempty"`
	// Sent is an item the proxy takes without reading it (reasoning, a
	// hosted tool's call), listed as sent: see SentItem.
	Sent json.RawMessage `json:"-"`
}

// SentItem is an item the proxy takes without reading it — a reasoning
// item, a hosted tool's call (web_search_call, image_generation_call, …) —
// listed as the record holds it, under its own id, or under id when it
// was sent without one (OpenAI lists every input item with an id, which
// after pages by).
func SentItem(raw json.RawMessage, typ, id string) InputItem {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return InputItem{ID: id, Type: typ}
	}
	var own string
	if json.Unmarshal(fields["id"], &own) == nil && own != "" {
		return InputItem{ID: own, Type: typ, Sent: raw}
	}
	fields["id"], _ = json.Marshal(id)
	b, err := httpjson.Marshal(fields)
	if err != nil {
		return InputItem{ID: id, Type: typ}
	}
	return InputItem{ID: id, Type: typ, Sent: b}
}

// MarshalJSON writes an item taken unread as it was sent (SentItem), any
// other by its fields.
func (it InputItem) MarshalJSON() ([]byte, error) {
	if it.Sent != nil {
		return it.Sent, nil
	}
	type fields InputItem // without this method
	return httpjson.Marshal(fields(it))
}

// InputPart is a content part of an input message or of a call's output,
// listed as it was sent (as it was recorded: see ListContent):
// input_text or output_text with its text, refusal with its refusal,
// input_image with its image_url and detail, input_file with its filename
// and file_data or file_url.
type InputPart struct {
	Type     string  `json:"type"`
	Text     *string `json:"text,omitempty"`
	Refusal  *string `json:"refusal,omitempty"`
	ImageURL *string `json:"image_url,omitempty"`
	Detail   string  `json:"detail,omitempty"`
	Filename string  `json:"filename,omitempty"`
	FileData string  `json:"file_data,omitempty"`
	FileURL  string  `json:"file_url,omitempty"`
}

// CallOutput is a function or custom tool call's output as listed: a
// string when it was sent as one, else its parts (OpenAI's output is
// either since outputs may show images and files).
type CallOutput struct {
	Text  string
	Parts []InputPart // nil for a string
}

// MarshalJSON writes the output as it was sent: a string, or a list of
// parts. Without HTML escaping, as the body around it is written (an
// output of code keeps its "<" and "&").
func (o CallOutput) MarshalJSON() ([]byte, error) {
	if o.Parts != nil {
		return httpjson.Marshal(o.Parts)
	}
	return httpjson.Marshal(o.Text)
}

// ListContent is a message's content as GET …/input_items lists it: a
// string (or none) is one text part, output_text in an assistant's message
// and input_text in any other, as OpenAI lists it; parts are listed each
// as sent, in order. What is listed is the recorded request, so an image
// or a document the record keeps a reference of ("[image image/png, 68
// bytes, sha256:…]") is listed by that reference. ok is false for content
// that is neither a string nor parts.
func ListContent(raw json.RawMessage, role string) (parts []InputPart, ok bool) {
	textType := "input_text"
	if role == "assistant" {
		textType = "output_text"
	}
	if !isParts(raw) {
		text, err := partsText(raw, "")
		return []InputPart{{Type: textType, Text: &text}}, err == nil
	}
	return listParts(raw, textType)
}

// ListOutput is a call's output as GET …/input_items lists it: a string
// (or none) as a string, parts each as sent (see ListContent).
func ListOutput(raw json.RawMessage) (*CallOutput, bool) {
	if !isParts(raw) {
		text, err := partsText(raw, "")
		return &CallOutput{Text: text}, err == nil
	}
	parts, ok := listParts(raw, "input_text")
	return &CallOutput{Parts: parts}, ok
}

// isParts reports whether a content or output value is a list (of parts).
func isParts(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '['
}

// listParts lists each part of a list as sent, never nil; a chat-style
// "text" part, which the proxy also takes, is listed as textType.
func listParts(raw json.RawMessage, textType string) ([]InputPart, bool) {
	parts, err := decodeParts(raw)
	out := make([]InputPart, 0, len(parts))
	for _, p := range parts {
		out = append(out, listPart(p, textType))
	}
	return out, err == nil
}

// listPart is one part as listed: its type and that type's fields. (Its
// request was validated when it was made: a text part has its text, a
// refusal its refusal.)
func listPart(p part, textType string) InputPart {
	switch p.Type {
	case "input_text", "output_text":
		return InputPart{Type: p.Type, Text: p.Text}
	case "text":
		return InputPart{Type: textType, Text: p.Text}
	case "refusal":
		return InputPart{Type: p.Type, Refusal: p.Refusal}
	case "input_image":
		// OpenAI lists an image sent without a detail as "auto".
		return InputPart{Type: p.Type, ImageURL: &p.ImageURL, Detail: cmp.Or(p.Detail, "auto")}
	case "input_file":
		return InputPart{Type: p.Type, Filename: p.Filename, FileData: p.FileData, FileURL: p.FileURL}
	}
	return InputPart{Type: p.Type} // refused when it was sent: not in a stored request
}

// IncompleteDetails says why a response is "incomplete": Reason is
// "max_output_tokens" (the answer reached max_output_tokens and was cut
// there), the one reason the proxy gives.
type IncompleteDetails struct {
	Reason string `json:"reason"`
}
