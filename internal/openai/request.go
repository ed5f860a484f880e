package openai

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/jsonscan"
	"qwenproxy/internal/typeerror"
)

// ChatRequest is the body of POST /v1/chat/completions: the fields the
// proxy acts on. Every other field is checked by CheckFields against
// ChatFields, so a client learns about a typo or an unsupported request
// instead of having it silently dropped.
type ChatRequest struct {
	Model           string          `json:"model"`
	Messages        []Message       `json:"messages"`
	Stream          bool            `json:"stream"`
	StreamOptions   *StreamOptions  `json:"stream_options"`
	ReasoningEffort string          `json:"reasoning_effort"`
	EnableThinking  *bool           `json:"enable_thinking"`
	Tools           json.RawMessage `json:"tools"`
	ToolChoice      json.RawMessage `json:"tool_choice"`
	Functions       json.RawMessage `json:"functions"`
	FunctionCall    json.RawMessage `json:"function_call"`
	ResponseFormat  json.RawMessage `json:"response_format"`
	Stop            json.RawMessage `json:"stop"`
	// WebSearchOptions turns on Qwen's web search when present (its
	// contents are checked, not used: Qwen has no such knobs).
	WebSearchOptions json.RawMessage `json:"web_search_options"`
	// ParallelToolCalls false allows one call per answer.
	ParallelToolCalls *bool `json:"parallel_tool_calls"`
	// MaxCompletionTokens and the older MaxTokens bound the answer's
	// output tokens, reasoning included (OutputLimit).
	// Kept raw: the fields' check takes any integral number (1e3, 1000.0),
	// which an int64 would not.
	MaxTokens           json.RawMessage `json:"max_tokens"`
	MaxCompletionTokens json.RawMessage `json:"max_completion_tokens"`
}

// OutputLimit is the bound on the answer's output tokens the request sets:
// max_completion_tokens, else max_tokens (OpenAI's older name for it), 0 for
// none. Both are checked to be at least 1 with the fields; a value beyond
// what an int holds is no bound.
func (r *ChatRequest) OutputLimit() int { return OutputLimit(r.MaxCompletionTokens, r.MaxTokens) }

// OutputLimit is the bound on an answer's output tokens of the first of
// limits that is sent (raw, as each client API's field holds it, checked
// by CheckInteger's rule), 0 for none; a value beyond what an int32 holds
// is no bound.
func OutputLimit(limits ...json.RawMessage) int {
	for _, l := range limits {
		f, ok := IntegerValue(l)
		if !ok {
			continue
		}
		if f >= 1 && f <= math.MaxInt32 {
			return int(f)
		}
		return 0 // a bound beyond any answer
	}
	return 0
}

// WantsSearch reports whether the client asked for web search
// (web_search_options present and not null).
func (r *ChatRequest) WantsSearch() bool { return !IsNull(r.WebSearchOptions) }

// StreamOptions asks for extras in a stream.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is one chat message. Content is a string, an array of parts, or null.
type Message struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  []ToolCall      `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
	// FunctionCall is the legacy (functions) form of one tool call;
	// MapLegacyFunctions turns it into ToolCalls.
	FunctionCall *FunctionCall `json:"function_call,omitempty"`
	// Refusal is an assistant's refusal (OpenAI's `refusal`, beside a null
	// content): history a client resends, read as what the assistant said.
	Refusal string `json:"refusal,omitempty"`
	// text caches Text's result: a large message is decoded once, not once
	// per use (validation, session key, upstream turn, record); breaks are
	// where its newlines join text parts (TextBreaks).
	text   *string
	breaks []int
}

// FunctionCall is a legacy function call: message.function_call.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// ToolCall is a function call made by the assistant, or (type "custom") a
// call of a custom tool, whose input is free text.
type ToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function,omitzero"`
	Custom *CustomCall `json:"custom,omitempty"`
}

// CustomCall is a custom tool call's name and input.
type CustomCall struct {
	Name  string `json:"name"`
	Input string `json:"input"`
}

// CompletionRequest is the body of the legacy POST /v1/completions.
// Its other fields are checked by CheckFields against CompletionFields.
type CompletionRequest struct {
	Model         string          `json:"model"`
	Prompt        json.RawMessage `json:"prompt"`
	Stream        bool            `json:"stream"`
	StreamOptions *StreamOptions  `json:"stream_options"`
	Stop          json.RawMessage `json:"stop"`
	// MaxTokens bounds the answer's output tokens (OutputLimit); absent,
	// there is no bound (OpenAI's default of 16 is not applied: Qwen's
	// answers are not so short).
	MaxTokens json.RawMessage `json:"max_tokens"`
}

// OutputLimit is max_tokens, 0 for none.
func (r *CompletionRequest) OutputLimit() int { return OutputLimit(r.MaxTokens) }

// Decode parses a JSON body into dst, turning syntax and type errors into 400s
// that name the offending parameter.
func Decode(body []byte, dst any) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return InvalidRequest("", "invalid_json", "the request body is empty; send a JSON object")
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		// encoding/json decodes null into anything as nothing: the
		// request would be refused for its first missing field instead.
		return InvalidRequest("", "invalid_json", "the request body must be a JSON object")
	}
	if d, ok := dst.(inPlaceDecoder); ok && d.DecodeInPlace(body) {
		return nil
	}
	err := json.Unmarshal(body, dst)
	if err == nil {
		return nil
	}
	_, dotted := dst.(dottedPaths)
	if param, what, ok := typeerror.Of("", body, err, dotted); ok {
		if param == "" {
			return InvalidRequest("", "invalid_json", "the request body must be a JSON object")
		}
		format := "%s %s"
		if dotted {
			format = "%s: %s" // Anthropic's "field: what is wrong"
		}
		return InvalidRequest(param, "invalid_type", format, param, what)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return InvalidRequest("", "invalid_json", "malformed JSON at byte %d: %v", syntaxErr.Offset, err)
	}
	return InvalidRequest("", "invalid_json", "malformed JSON: %v", err)
}

// Validate checks a chat request. It never calls upstream.
func (r *ChatRequest) Validate() *Error {
	if err := CheckStreamOptionsNeedStream(r.StreamOptions, r.Stream); err != nil {
		return err
	}
	if r.Messages == nil {
		return InvalidRequest("messages", "missing_required_parameter", "messages is required")
	}
	if len(r.Messages) == 0 {
		return InvalidRequest("messages", "invalid_value", "messages must contain at least one message")
	}
	// Something must be new for Qwen: a user message, or a tool's result
	// (an X-Session-Id client sends only the results of its calls, as
	// Responses and Messages clients may).
	hasInput := false
	for i := range r.Messages {
		if err := r.Messages[i].validate(i); err != nil {
			return err
		}
		switch r.Messages[i].Role {
		case "user", "tool", "function":
			hasInput = true
		}
	}
	if !hasInput {
		return InvalidRequest("messages", "invalid_value", "messages must contain at least one user message or tool result")
	}
	// A trailing system or developer message is taken, as OpenAI takes it:
	// before the first answer it joins the system prompt, after it it is
	// told with its turn (translate.SystemText).
	if last := r.Messages[len(r.Messages)-1]; last.Role == "assistant" && (len(last.ToolCalls) > 0 || last.FunctionCall != nil) {
		// As OpenAI: calls must be answered by their results before the
		// conversation goes on. (A trailing assistant text is a prefill.)
		return InvalidRequest(fmt.Sprintf("messages[%d]", len(r.Messages)-1), "invalid_value",
			"an assistant message with tool_calls must be followed by the tool messages answering them")
	}
	return r.checkJSONWord()
}

// checkJSONWord refuses a json_object response_format whose messages never
// say "json" (in any case), as OpenAI does, in its words: JSON mode is
// asked for in the messages, and without them the model (Qwen's too) need
// not answer in JSON — the proxy's check of the answer then failed twice
// and the call ended in a 502 response_format_unmet. A format that does
// not parse is left to the field's check.
func (r *ChatRequest) checkJSONWord() *Error {
	rf, err := ParseResponseFormat(r.ResponseFormat)
	if err != nil || rf == nil || rf.Type != "json_object" {
		return nil
	}
	for i := range r.Messages {
		if text, _ := r.Messages[i].Text(); MentionsJSON(text) {
			return nil
		}
	}
	return InvalidRequest("messages", "", "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.")
}

// MentionsJSON reports whether text has the word "json" in any case, which
// OpenAI requires of the messages of a call asking for a json_object
// answer.
func MentionsJSON(text string) bool {
	for i := 0; i+4 <= len(text); i++ {
		if strings.EqualFold(text[i:i+4], "json") {
			return true
		}
	}
	return false
}

func (m *Message) validate(i int) *Error {
	param := func(f string) string { return fmt.Sprintf("messages[%d].%s", i, f) }
	switch m.Role {
	case "":
		return InvalidRequest(param("role"), "missing_required_parameter", "messages[%d] is missing required field: role", i)
	case "system", "developer", "user", "assistant", "tool":
	case "function": // the legacy form of a tool result
		if m.Name == "" {
			return InvalidRequest(param("name"), "missing_required_parameter", "messages[%d] with role 'function' is missing required field: name", i)
		}
	default:
		return InvalidRequest(param("role"), "invalid_value", "messages[%d].role must be one of system, developer, user, assistant, tool, function; got %q", i, m.Role)
	}
	text, err := m.Text()
	if pp := (*partProblem)(nil); errors.As(err, &pp) {
		part := fmt.Sprintf("messages[%d].content[%d]", i, pp.index)
		path := part
		if pp.field != "" {
			path += "." + pp.field
		}
		if pp.missing {
			return InvalidRequest(path, "missing_required_parameter", "%s %s", part, pp.what)
		}
		return InvalidRequest(path, cmp.Or(pp.code, "invalid_type"), "%s %s", path, pp.what)
	}
	if err != nil {
		return InvalidRequest(param("content"), "invalid_type", "messages[%d].content %v", i, err)
	}
	switch m.Role {
	case "tool":
		if m.ToolCallID == "" {
			return InvalidRequest(param("tool_call_id"), "missing_required_parameter", "messages[%d] with role 'tool' is missing required field: tool_call_id", i)
		}
		if IsNull(m.Content) {
			return InvalidRequest(param("content"), "missing_required_parameter", "messages[%d] with role 'tool' is missing required field: content", i)
		}
	case "function":
	case "assistant":
		if IsNull(m.Content) && len(m.ToolCalls) == 0 && m.FunctionCall == nil && m.Refusal == "" {
			return InvalidRequest(param("content"), "missing_required_parameter", "messages[%d] from the assistant needs content, refusal or tool_calls", i)
		}
		for j, tc := range m.ToolCalls {
			if err := tc.validate(param(fmt.Sprintf("tool_calls[%d]", j))); err != nil {
				return err
			}
		}
		if m.FunctionCall != nil && m.FunctionCall.Name == "" { // the legacy form of a call: named as one
			return InvalidRequest(param("function_call.name"), "missing_required_parameter", "messages[%d].function_call is missing required field: name", i)
		}
	case "system", "developer":
		// An empty system prompt asks for nothing, and OpenAI takes it
		// (apps send one when theirs is unset), as the Responses and
		// Messages APIs here take an empty instruction: only a missing one
		// is refused.
		if IsNull(m.Content) {
			return InvalidRequest(param("content"), "missing_required_parameter", "messages[%d] with role '%s' is missing required field: content", i, m.Role)
		}
	default:
		if strings.TrimSpace(text) == "" && !m.hasAttachments() {
			return InvalidRequest(param("content"), "missing_required_parameter", "messages[%d] has no text content", i)
		}
	}
	return nil
}

// validate checks an assistant's tool call at p, as OpenAI does: it has an
// id (its result answers it, and the session is found by it) and a name
// (an unnamed call was told to Qwen as "(call )"); its type, when given,
// is function or custom. A null element is all of these missing.
func (tc *ToolCall) validate(p string) *Error {
	switch {
	case tc.Type == "custom" && (tc.Custom == nil || tc.Custom.Name == ""):
		return InvalidRequest(p+".custom", "missing_required_parameter", "%s.custom (with its name and input) is required for a tool call of type 'custom'", p)
	case tc.Type != "" && tc.Type != "function" && tc.Type != "custom":
		return InvalidRequest(p+".type", "invalid_value", "%s.type must be \"function\" or \"custom\", not %q", p, tc.Type)
	case tc.ID == "":
		return InvalidRequest(p+".id", "missing_required_parameter", "%s is missing required field: id", p)
	case tc.Type != "custom" && tc.Function.Name == "":
		return InvalidRequest(p+".function.name", "missing_required_parameter", "%s.function is missing required field: name", p)
	}
	return nil
}

// IsNull reports whether a field's raw value is absent or JSON null, which
// every client API reads alike.
func IsNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// Text returns the message's text: the string content, or its text parts
// (and an assistant's refusal parts) joined by newlines, or, when that is
// empty, an assistant's refusal. Non-text parts (images, audio) are not
// representable upstream and are refused rather than dropped silently.
func (m *Message) Text() (string, error) {
	if m.text != nil {
		return *m.text, nil
	}
	s, breaks, err := m.decodeText()
	if err == nil && s == "" && m.Role == "assistant" {
		s, breaks = m.Refusal, nil
	}
	if err == nil {
		m.text, m.breaks = &s, breaks
	}
	return s, err
}

// TextBreaks returns the offsets in Text of the newlines that join the
// message's text parts (qp.Message.PartBreaks), nil for a string content.
func (m *Message) TextBreaks() []int {
	if _, err := m.Text(); err != nil {
		return nil
	}
	return m.breaks
}

func (m *Message) decodeText() (string, []int, error) {
	raw := bytes.TrimSpace(m.Content)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil, nil
	}
	switch raw[0] {
	case '"':
		s, ok := jsonscan.StringValue(raw) // content is validated JSON
		if !ok {
			return "", nil, fmt.Errorf("is not a valid string")
		}
		return s, nil, nil
	case '[':
		text, breaks, _, _, err := m.parts(raw, "")
		return text, breaks, err
	}
	return "", nil, fmt.Errorf("must be a string or an array of content parts, not %s", typeerror.Value(raw))
}

// Attachments returns the message's image_url parts and file parts, in
// order (checked by Validate): images as data: URLs or http(s) URLs,
// documents as their file_data (a data: URL) and filename. at is the
// message's path (messages[1]), from which each names its field (Param).
func (m *Message) Attachments(at string) ([]qp.Image, []qp.Document) {
	raw := bytes.TrimSpace(m.Content)
	if len(raw) == 0 || raw[0] != '[' {
		return nil, nil
	}
	_, _, images, docs, _ := m.parts(raw, at)
	return images, docs
}

// hasAttachments reports whether the message has image_url or file parts.
func (m *Message) hasAttachments() bool {
	images, docs := m.Attachments("")
	return len(images) > 0 || len(docs) > 0
}

// contentPart is a content part of a message, as far as it is read.
type contentPart struct {
	Type     string        `json:"type"`
	Text     *string       `json:"text"`
	Refusal  *string       `json:"refusal"`
	ImageURL *imageURLPart `json:"image_url"`
	File     *filePart     `json:"file"`
}

type imageURLPart struct {
	URL    string `json:"url"`
	Detail string `json:"detail"`
}

type filePart struct {
	FileData string `json:"file_data"`
	Filename string `json:"filename"`
	FileID   string `json:"file_id"`
}

// parts reads an array of content parts: text parts (joined by newlines,
// which stand at breaks: qp.JoinTextParts),
// image_url parts and file parts ({"type":"file","file":{"file_data":
// "data:application/pdf;base64,…","filename":…}}). Other parts (audio, a
// file by file_id: the proxy has no Files API) are not representable
// upstream and are refused rather than dropped silently; so are images and
// files outside user messages.
// at is the message's path, from which each image and document names its
// field ("" when they are not kept).
func (m *Message) parts(raw []byte, at string) (string, []int, []qp.Image, []qp.Document, error) {
	parts, ok := decodePartsInPlace(raw)
	var err error
	if !ok {
		parts, err = DecodeParts[contentPart](raw)
	}
	if pe := (*PartError)(nil); errors.As(err, &pe) {
		return "", nil, nil, nil, &partProblem{index: pe.Index, field: pe.Field, what: fmt.Sprintf("must be %s, not %s", pe.Want, pe.Given())}
	}
	if err != nil {
		var list []json.RawMessage
		_ = json.Unmarshal(raw, &list) // raw is a valid array
		for j, el := range list {
			if len(el) == 0 || el[0] != '{' {
				return "", nil, nil, nil, &partProblem{index: j, what: "must be a content part (an object), not " + typeerror.Value(el)}
			}
		}
		return "", nil, nil, nil, fmt.Errorf("must be a string or an array of content parts")
	}
	var b strings.Builder
	var breaks []int
	var images []qp.Image
	var docs []qp.Document
	for j, p := range parts {
		switch {
		case p.Type == "file" && m.Role == "user":
			switch {
			case p.File == nil || p.File.FileData == "" && p.File.FileID == "":
				return "", nil, nil, nil, &partProblem{index: j, field: "file.file_data", missing: true,
					what: `(type "file") is missing its file.file_data, a data: URL of the document`}
			case p.File.FileData == "":
				return "", nil, nil, nil, &partProblem{index: j, field: "file.file_id", code: "invalid_document",
					what: "is not supported (the proxy has no Files API); send the file's bytes as file.file_data, a data: URL"}
			case !qp.IsDataURL(p.File.FileData):
				return "", nil, nil, nil, &partProblem{index: j, field: "file.file_data", code: "invalid_document",
					what: "must be a data: URL (data:application/pdf;base64,…): Chat Completions has no document by URL (the Responses API's input_file file_url and Anthropic's url document source have one)"}
			}
			docs = append(docs, qp.Document{Name: p.File.Filename, URL: p.File.FileData, Param: fmt.Sprintf("%s.content[%d].file.file_data", at, j)})
			continue
		case p.Type == "file":
			return "", nil, nil, nil, &partProblem{index: j, what: "is a file: files are taken in user messages only"}
		case p.Type == "image_url" && m.Role == "user":
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return "", nil, nil, nil, &partProblem{index: j, field: "image_url.url", missing: true,
					what: `(type "image_url") is missing its image_url.url, the image as a data: URL or an http(s) URL`}
			}
			if !imageURL(p.ImageURL.URL) {
				return "", nil, nil, nil, &partProblem{index: j, field: "image_url.url", what: "must be a data: URL or an http(s) URL"}
			}
			images = append(images, qp.Image{URL: p.ImageURL.URL, Param: fmt.Sprintf("%s.content[%d].image_url.url", at, j)})
			continue
		case p.Type == "image_url":
			return "", nil, nil, nil, &partProblem{index: j, what: "is an image: images are taken in user messages only"}
		case p.Type == "refusal" && m.Role == "assistant":
			if p.Refusal == nil {
				return "", nil, nil, nil, &partProblem{index: j, field: "refusal", missing: true, what: `(type "refusal") is missing its refusal field`}
			}
			p.Text = p.Refusal // what the assistant said
		case p.Type == "": // absent or null
			return "", nil, nil, nil, &partProblem{index: j, field: "type", missing: true, what: "is missing its type: text, image_url or file"}
		case p.Type != "text":
			return "", nil, nil, nil, &partProblem{index: j, field: "type", what: fmt.Sprintf("is %q; only text, image_url and file parts are supported", p.Type)}
		case p.Text == nil:
			return "", nil, nil, nil, &partProblem{index: j, field: "text", missing: true, what: `(type "text") is missing its text field`}
		}
		if b.Len() > 0 {
			breaks = append(breaks, b.Len())
			b.WriteByte('\n')
		}
		b.WriteString(*p.Text)
	}
	return b.String(), breaks, images, docs, nil
}

// partProblem is what is wrong with the content part at index: its field
// ("" for the part itself) and what, worded after the field's path
// (messages[1].content[0].image_url.url must be …), or after the part's
// when the field is missing (messages[1].content[0] (type "text") is
// missing its text field: Responses' words); code is the 400's code when
// not invalid_type: invalid_document for a file given in a way the proxy
// cannot take (by file_id, or by a URL it does not fetch), the code of
// every refused document (README, "Documents in").
type partProblem struct {
	index       int
	field, what string
	code        string
	missing     bool
}

func (p *partProblem) Error() string {
	if p.field == "" {
		return fmt.Sprintf("content[%d] %s", p.index, p.what)
	}
	return fmt.Sprintf("content[%d].%s %s", p.index, p.field, p.what)
}

func imageURL(u string) bool {
	return qp.IsDataURL(u) || qp.IsWebURL(u)
}

// PromptText returns the legacy prompt: a string, or an array holding one string.
func (r *CompletionRequest) PromptText() (string, *Error) {
	raw := bytes.TrimSpace(r.Prompt)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", InvalidRequest("prompt", "missing_required_parameter", "prompt is required")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if strings.TrimSpace(s) == "" {
			return "", InvalidRequest("prompt", "invalid_value", "prompt must not be empty")
		}
		return s, nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		if len(list) != 1 {
			return "", InvalidRequest("prompt", "unsupported_value", "prompt arrays must hold exactly one string (batching is not supported)")
		}
		if strings.TrimSpace(list[0]) == "" {
			return "", InvalidRequest("prompt", "invalid_value", "prompt must not be empty")
		}
		return list[0], nil
	}
	return "", TypeError("prompt", "a string or an array of one string", raw)
}

// CheckStreamOptionsNeedStream refuses stream_options (not null) sent
// without "stream": true, as OpenAI refuses it in Chat Completions, the
// legacy Completions and the Responses API alike: OpenAI's refusal, word
// for word (a 400 with a null code).
func CheckStreamOptionsNeedStream(o *StreamOptions, stream bool) *Error {
	if o != nil && !stream {
		return InvalidRequest("stream_options", "", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	return nil
}

// Validate checks a legacy completion request: stream_options only with
// stream on, as Chat Completions (until 2026-12-06 the legacy endpoint took
// it without), and the prompt.
func (r *CompletionRequest) Validate() *Error {
	if err := CheckStreamOptionsNeedStream(r.StreamOptions, r.Stream); err != nil {
		return err
	}
	if _, err := r.PromptText(); err != nil {
		return err
	}
	return nil
}

// WantsThinking reports whether the client asked for the model's reasoning.
func (r *ChatRequest) WantsThinking() bool {
	if r.EnableThinking != nil {
		return *r.EnableThinking
	}
	switch r.ReasoningEffort {
	case "", "none", "minimal":
		return false
	}
	return true
}
