package historyapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"

	qp "qwenproxy"
	"qwenproxy/internal/responses"
)

// A transcript reads a session's calls as the conversation they were: each
// call (a turn) shows what was new in its request — the messages after the
// last assistant message it resent (all of them on a first turn, or when the
// client sends only the new message under X-Session-Id) — and the answer.
// It needs no state across calls, so it pages like the calls themselves.

// MessageJSON is one message of a transcript.
type MessageJSON struct {
	Role       string         `json:"role"` // system, developer, user, assistant, tool
	Content    string         `json:"content"`
	Reasoning  string         `json:"reasoning,omitempty"`
	ToolCalls  []ToolCallJSON `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
	Name       string         `json:"name,omitempty"`
	// IsError marks a tool result its client sent as a failure
	// (Anthropic's is_error: a command that failed, a file not found).
	IsError bool `json:"is_error,omitempty"`
	// FromConversation marks an item of a Conversations API conversation
	// (added with POST /v1/conversations or …/items) that the call sent
	// before its request's input: it is not in the request's body.
	FromConversation bool `json:"from_conversation,omitempty"`
}

// ToolCallJSON is a tool call an answer made.
type ToolCallJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // JSON text, as sent; a custom call's input text
	// Custom marks a call of a custom (freeform) tool, whose Arguments
	// are its free-text input.
	Custom bool `json:"custom,omitempty"`
}

// TurnJSON is one call of a conversation: its new input, its answer (nil
// when the call failed before one), and its figures.
type TurnJSON struct {
	ID               int64         `json:"id"` // the call: GET /v1/requests/{id}
	RequestID        string        `json:"request_id"`
	Timestamp        int64         `json:"timestamp"`
	Path             string        `json:"path"`
	Model            string        `json:"model"`
	Stream           bool          `json:"stream"`
	Input            []MessageJSON `json:"input"`
	Output           *MessageJSON  `json:"output"`
	Status           *string       `json:"status"`
	HTTPStatus       int           `json:"http_status"`
	FinishReason     *string       `json:"finish_reason"`
	PromptTokens     int           `json:"prompt_tokens"`
	CompletionTokens int           `json:"completion_tokens"`
	TotalTokens      int           `json:"total_tokens"`
	DurationMS       *float64      `json:"duration_ms"`
	TTFTMS           *float64      `json:"ttft_ms"`
	ErrorType        *string       `json:"error_type"`
	Error            *string       `json:"error"`
	// Bodies is false when the call was recorded without bodies: there is
	// no text to show, only figures.
	Bodies bool `json:"bodies"`
	// Truncated names the bodies stored cut, over RECORD_MAX_BODY_BYTES
	// ("request", "response"): their messages are not in the record, so
	// the input or the output shows none of them.
	Truncated []string `json:"truncated,omitempty"`
	// Regenerates is the request id of the call whose answer this one
	// replaced: asked in place of its session's latest turn, in the same
	// chat — again from the same previous_response_id (an SDK's retry, a
	// user's regenerate), or by the history that turn came with (the
	// conversation sent again) — (see MarkRegenerates).
	Regenerates string `json:"regenerates,omitempty"`
	// ReplacedBy is the request id of the call that replaced this answer
	// so: the conversation as it stands goes on from that one, not this.
	ReplacedBy string `json:"replaced_by,omitempty"`
}

// Turn reads one call, with its bodies, as a transcript turn.
func Turn(r *qp.RequestRecord) TurnJSON {
	t := TurnJSON{ID: r.ID, RequestID: r.RequestID, Timestamp: r.Timestamp.UnixMilli(), Path: r.Path, Model: r.Model, Stream: r.Stream,
		Input: newInput(r.OpenAIRequest), Bodies: len(r.OpenAIRequest) > 0}
	if t.Input == nil {
		t.Input = []MessageJSON{}
	}
	if storedCut(r.OpenAIRequest) {
		t.Truncated = append(t.Truncated, "request")
	}
	if rs := r.Response; rs != nil {
		if storedCut(rs.OpenAIResponse) {
			t.Truncated = append(t.Truncated, "response")
		}
		if m := answer(rs.OpenAIResponse); m != nil && (m.Content != "" || m.Reasoning != "" || len(m.ToolCalls) > 0) {
			t.Output = m // a call answered nothing (failed, or left before a word) has none: null
		}
		t.Status, t.HTTPStatus, t.FinishReason = nullable(rs.Status), rs.HTTPStatus, nullable(rs.FinishReason)
		t.PromptTokens, t.CompletionTokens, t.TotalTokens = rs.PromptTokens, rs.CompletionTokens, rs.TotalTokens
		d := rs.DurationMillis
		t.DurationMS, t.TTFTMS = &d, rs.TTFTMillis
		t.ErrorType, t.Error = nullable(rs.ErrorType), nullable(rs.Error)
	}
	return t
}

// storedCut reports whether body is the record of a body over
// RECORD_MAX_BODY_BYTES: {"_truncated":true,"_original_bytes":N,"_head":…},
// written with the marker first (a client's own _truncated field elsewhere in
// its body is not it).
func storedCut(body json.RawMessage) bool {
	if !bytes.HasPrefix(body, []byte(`{"_truncated":true,`)) {
		return false
	}
	var cut struct {
		Truncated     bool    `json:"_truncated"`
		OriginalBytes *int64  `json:"_original_bytes"`
		Head          *string `json:"_head"`
	}
	return json.Unmarshal(body, &cut) == nil && cut.Truncated && cut.OriginalBytes != nil && cut.Head != nil
}

// wireMessage is a message as the Chat Completions and Anthropic Messages
// APIs send it; content is a string or a list of parts.
type wireMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       string          `json:"name"`
	ToolCallID string          `json:"tool_call_id"`
	ToolCalls  []wireToolCall  `json:"tool_calls"`
	Reasoning  string          `json:"reasoning_content"`
}

type wireToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
	Custom struct {
		Name  string `json:"name"`
		Input string `json:"input"`
	} `json:"custom"`
}

// wirePart is a content part: text, an Anthropic tool_use or tool_result,
// or a thinking block.
type wirePart struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	Thinking  string          `json:"thinking"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

// newInput is the request's messages after the last assistant message (or
// the prompt of a legacy completion, or a Responses API input).
func newInput(body json.RawMessage) []MessageJSON {
	var req struct {
		System       json.RawMessage `json:"system"`
		Messages     []wireMessage   `json:"messages"`
		Prompt       json.RawMessage `json:"prompt"`
		Input        json.RawMessage `json:"input"`
		Instructions string          `json:"instructions"`
		Previous     string          `json:"previous_response_id"`
	}
	if len(body) == 0 || json.Unmarshal(body, &req) != nil {
		return nil
	}
	if len(req.Messages) == 0 {
		if m, _, ok := inputMessages(req.Prompt); ok {
			return m
		}
		m, first, ok := inputMessages(req.Input)
		if !ok {
			return nil
		}
		// A Responses API conversation's first turn: its instructions are
		// its system prompt, as a chat's first system message is.
		if first && req.Previous == "" && req.Instructions != "" {
			m = append([]MessageJSON{{Role: "system", Content: req.Instructions}}, m...)
		}
		return m
	}
	start := 0
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if m := req.Messages[i]; m.Role == "assistant" && !unanswered(m) {
			start = i + 1
			break
		}
	}
	var out []MessageJSON
	if start == 0 && len(req.System) > 0 {
		out = append(out, MessageJSON{Role: "system", Content: joined(req.System, "\n\n")})
	}
	for _, m := range req.Messages[start:] {
		out = append(out, message(m)...)
	}
	return out
}

// inputMessages reads a prompt or a Responses API input: a string, a list
// of strings, or a list of items with a role and content; first says it
// holds no earlier answer (a conversation's first turn, or one threaded by
// id).
func inputMessages(raw json.RawMessage) (_ []MessageJSON, first, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []MessageJSON{{Role: "user", Content: s}}, true, true
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, false, false
	}
	var out []MessageJSON
	start := 0
	for i := len(items) - 1; i >= 0 && start == 0; i-- {
		var it struct {
			Role string `json:"role"`
			Type string `json:"type"`
		}
		// An answer resent: its message, or a call it made (a function_call
		// item has no role; an answer may be calls alone).
		if json.Unmarshal(items[i], &it) != nil {
			continue
		}
		var m wireMessage
		switch {
		case it.Type == "function_call" || it.Type == "custom_tool_call" || it.Type == "image_generation_call":
			start = i + 1 // an image the answer drew is the answer too
		case it.Type == "compaction":
			start = i + 1 // the summary of the answers before it (POST /v1/responses/compact's)
		case it.Role == "assistant" && (json.Unmarshal(items[i], &m) != nil || !unanswered(m)):
			start = i + 1
		}
	}
	for _, item := range items[start:] {
		if json.Unmarshal(item, &s) == nil {
			out = append(out, MessageJSON{Role: "user", Content: s})
			continue
		}
		var it struct {
			wireMessage
			Type   string          `json:"type"`
			ID     string          `json:"id"`
			CallID string          `json:"call_id"`
			Output json.RawMessage `json:"output"` // a string or content parts
		}
		if json.Unmarshal(item, &it) != nil {
			continue
		}
		switch {
		case it.Type == "item_reference" || it.Type == "" && it.Role == "" && it.ID != "" && isNull(it.Content):
			// An item named by its id (an earlier response's, a
			// conversation's): its text is not in the body, but the
			// model was told it, so it shows where it stood, named.
			out = append(out, MessageJSON{Role: "user", Content: "[item_reference " + it.ID + "]"})
		case it.Type == "function_call_output" || it.Type == "custom_tool_call_output":
			out = append(out, MessageJSON{Role: "tool", ToolCallID: it.CallID, Content: resultText(it.Output)})
		case it.Role != "":
			out = append(out, message(it.wireMessage)...)
		}
	}
	return out, start == 0, true
}

// isNull reports whether a field is absent or null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// noResponse is the answer Claude Code resends for a turn it left before
// its answer (a run killed, then resumed with --continue).
const noResponse = "No response requested."

// unanswered reports whether m, an assistant message, stands for an answer
// its chat never gave: empty, or Claude Code's placeholder. A client resends
// a turn it left before its answer that way, with the next one (the session
// continues the chat whose last answer came before it); the messages around
// it are new to the chat and so to the turn's input.
func unanswered(m wireMessage) bool {
	if len(m.ToolCalls) > 0 {
		return false
	}
	msg := message(m)
	if len(msg) != 1 || len(msg[0].ToolCalls) > 0 || msg[0].Reasoning != "" {
		return false
	}
	text := strings.TrimSpace(msg[0].Content)
	return text == "" || text == noResponse
}

// message converts one wire message; an Anthropic user message holding
// tool results becomes one tool message per result, then its words.
func message(m wireMessage) []MessageJSON {
	out := MessageJSON{Role: m.Role, Name: m.Name, ToolCallID: m.ToolCallID, Reasoning: m.Reasoning}
	for _, tc := range m.ToolCalls {
		if tc.Type == "custom" {
			out.ToolCalls = append(out.ToolCalls, ToolCallJSON{ID: tc.ID, Name: tc.Custom.Name, Arguments: tc.Custom.Input, Custom: true})
			continue
		}
		out.ToolCalls = append(out.ToolCalls, ToolCallJSON{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		out.Content = s
		return []MessageJSON{out}
	}
	var parts []wirePart
	if json.Unmarshal(m.Content, &parts) != nil {
		return []MessageJSON{out}
	}
	var texts partTexts
	var results []MessageJSON
	for _, p := range parts {
		switch p.Type {
		case "thinking":
			out.Reasoning += p.Thinking
		case "tool_use":
			out.ToolCalls = append(out.ToolCalls, ToolCallJSON{ID: p.ID, Name: p.Name, Arguments: htmlUnescaped(p.Input)})
		case "tool_result":
			results = append(results, MessageJSON{Role: "tool", ToolCallID: p.ToolUseID, Content: resultText(p.Content), IsError: p.IsError})
		case "server_tool_use":
			if p.Name == "web_search" {
				var in struct {
					Query string `json:"query"`
				}
				_ = json.Unmarshal(p.Input, &in) // no query: shown without one
				texts.add(wirePart{Type: searchShown(in.Query)})
				continue
			}
			texts.add(p)
		case "web_search_tool_result":
			// Its pages: the text's list of sources names them.
		default:
			texts.add(p)
		}
	}
	out.Content = texts.String()
	if len(results) > 0 && out.Content == "" && len(out.ToolCalls) == 0 {
		return results
	}
	if len(results) > 0 {
		// Anthropic puts a user message's tool results before its words,
		// and the model is told them in that order.
		return append(results, out)
	}
	return []MessageJSON{out}
}

// partTexts is the text of content parts: text parts as they are, any
// other part (an image, a file) as its [type].
type partTexts struct {
	texts       []string
	placeholder bool // the last piece is a part's [type]
}

func (t *partTexts) add(p wirePart) {
	switch p.Type {
	case "text", "input_text", "output_text", "":
		t.texts = apart(t.texts, p.Text, t.placeholder)
		t.placeholder = false
	default:
		t.texts = apart(t.texts, "["+p.Type+"]", true)
		t.placeholder = true
	}
}

func (t *partTexts) String() string { return strings.Join(t.texts, "") }

// resultText is a tool result's content: a string, or its parts as a
// message's are read, so that an image a tool returned (Claude Code's Read
// of a picture, a screenshot) shows as [image] rather than as nothing.
func resultText(raw json.RawMessage) string {
	var parts []wirePart
	if json.Unmarshal(raw, &parts) != nil {
		return text(raw)
	}
	var texts partTexts
	for _, p := range parts {
		texts.add(p)
	}
	return texts.String()
}

// apart appends piece to texts, which are joined as they are (text parts
// are one text cut in pieces), but with a space between a part's [type] (an
// image, a file) and the text beside it: "What is this?[image_url]" read as
// one word.
func apart(texts []string, piece string, placeholder bool) []string {
	if len(texts) > 0 && placeholder && piece != "" {
		last := texts[len(texts)-1]
		if last != "" && !unicode.IsSpace(rune(last[len(last)-1])) && !unicode.IsSpace(rune(piece[0])) {
			texts = append(texts, " ")
		}
	}
	return append(texts, piece)
}

// text reads content that is a string or a list of text parts.
func text(raw json.RawMessage) string { return joined(raw, "") }

// joined is a content's text: a string, or its parts' texts joined by sep
// (Anthropic's system blocks go upstream a blank line apart).
func joined(raw json.RawMessage, sep string) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []wirePart
	if json.Unmarshal(raw, &parts) == nil {
		texts := make([]string, len(parts))
		for i, p := range parts {
			texts[i] = p.Text
		}
		return strings.Join(texts, sep)
	}
	return string(raw)
}

// answer reads the assistant's answer from the recorded response: a chat
// completion, a legacy completion, an Anthropic message or a Responses API
// response. An error envelope has no answer.
func answer(body json.RawMessage) *MessageJSON {
	var resp struct {
		Choices []struct {
			Message *wireMessage `json:"message"`
			Text    *string      `json:"text"`
		} `json:"choices"`
		Type    string          `json:"type"`
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
		Output  []struct {
			Type      string          `json:"type"`
			Content   json.RawMessage `json:"content"`
			Summary   json.RawMessage `json:"summary"`
			CallID    string          `json:"call_id"`
			Name      string          `json:"name"`
			Arguments string          `json:"arguments"`
			Input     string          `json:"input"`  // a custom_tool_call's
			Result    *string         `json:"result"` // an image_generation_call's
			Role      string          `json:"role"`
			// A compaction item's (POST /v1/responses/compact's answer).
			EncryptedContent string `json:"encrypted_content"`
			Action           struct {
				Query string `json:"query"`
			} `json:"action"` // a web_search_call's
		} `json:"output"`
	}
	if len(body) == 0 || json.Unmarshal(body, &resp) != nil {
		return nil
	}
	switch {
	case len(resp.Choices) > 0 && resp.Choices[0].Message != nil:
		m := message(*resp.Choices[0].Message)[0]
		m.Role = "assistant"
		return &m
	case len(resp.Choices) > 0 && resp.Choices[0].Text != nil:
		return &MessageJSON{Role: "assistant", Content: *resp.Choices[0].Text}
	case resp.Type == "message" && resp.Role == "assistant":
		m := message(wireMessage{Role: "assistant", Content: resp.Content})[0]
		return &m
	case len(resp.Output) > 0:
		m := MessageJSON{Role: "assistant"}
		for _, o := range resp.Output {
			switch o.Type {
			case "message":
				if o.Role == "user" {
					continue // a compaction's kept input, not the answer
				}
				m.Content += text(o.Content)
			case "compaction":
				// The summary the proxy wrote into it: the answer.
				summary, _ := strings.CutPrefix(o.EncryptedContent, responses.CompactionPrefix)
				m.Content += "[compaction] " + summary
			case "reasoning":
				m.Reasoning += text(o.Summary) + text(o.Content)
			case "function_call":
				m.ToolCalls = append(m.ToolCalls, ToolCallJSON{ID: o.CallID, Name: o.Name, Arguments: o.Arguments})
			case "custom_tool_call":
				m.ToolCalls = append(m.ToolCalls, ToolCallJSON{ID: o.CallID, Name: o.Name, Arguments: o.Input, Custom: true})
			case "web_search_call":
				m.Content += "[" + searchShown(o.Action.Query) + "] "
			case "image_generation_call":
				// The image, as the record keeps it: "[image N bytes: URL]".
				if o.Result != nil && strings.HasPrefix(*o.Result, "[image ") {
					m.Content += *o.Result
				} else {
					m.Content += "[image_generation_call]"
				}
			}
		}
		return &m
	}
	return nil
}

// htmlUnescaped is a JSON text with the escapes of "<", ">" and "&" that
// Go's encoder writes (\u003c, \u003e, \u0026) put back as the characters:
// an Anthropic call's input is a JSON object, recorded as written, and the
// proxy's answers were written with them (a command "echo a > b" read
// "echo a \u003e b"). Every other escape is kept; the text means the same.
func htmlUnescaped(raw []byte) string {
	if !bytes.Contains(raw, []byte(`\u00`)) {
		return string(raw)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 == len(raw) {
			out = append(out, raw[i])
			continue
		}
		if raw[i+1] == 'u' && i+6 <= len(raw) {
			switch strings.ToLower(string(raw[i+2 : i+6])) {
			case "003c":
				out, i = append(out, '<'), i+5
				continue
			case "003e":
				out, i = append(out, '>'), i+5
				continue
			case "0026":
				out, i = append(out, '&'), i+5
				continue
			}
		}
		out, i = append(out, raw[i], raw[i+1]), i+1 // an escape pair, kept
	}
	return string(out)
}

// searchShown is a web search as the transcript shows it (between
// brackets, as other parts that are not text): "web search: <query>".
func searchShown(query string) string {
	if query == "" {
		return "web search"
	}
	return "web search: " + query
}
