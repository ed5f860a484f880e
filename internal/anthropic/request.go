package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/jsonscan"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/tools"
)

// Request is the body of POST /v1/messages (and, without max_tokens, of
// POST /v1/messages/count_tokens). Fields Qwen cannot honour (temperature,
// top_p, top_k, metadata) are type-checked and ignored.
type Request struct {
	Model string `json:"model"`
	// MaxTokens bounds the answer's output tokens (OutputLimit). It, TopK
	// and Thinking.BudgetTokens are kept raw, as Chat Completions keeps its
	// limits: they take any integral number (1e3, 1000.0), as every client
	// API's integers do (openai.CheckInteger), which an int would not.
	MaxTokens     json.RawMessage `json:"max_tokens"`
	Messages      []Message       `json:"messages"`
	System        json.RawMessage `json:"system"` // a string or text blocks
	Stream        bool            `json:"stream"`
	StopSequences []string        `json:"stop_sequences"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          json.RawMessage `json:"top_k"`
	Metadata      *struct {
		UserID *string `json:"user_id"`
	} `json:"metadata"`
	Tools      []Tool      `json:"tools"`
	ToolChoice *ToolChoice `json:"tool_choice"`
	Thinking   *Thinking   `json:"thinking"`
	// OutputConfig.Format is the answer's form, structured outputs
	// ({"type":"json_schema","schema":{…}}); OutputFormat is its beta
	// form. Emulated as Chat Completions' response_format.
	OutputConfig *struct {
		Format json.RawMessage `json:"format"`
		Effort *string         `json:"effort"`
	} `json:"output_config"`
	OutputFormat json.RawMessage `json:"output_format"`
	// Compaction (beta compact-2026-09-04) asks for a summary of the
	// conversation instead of an answer: see Compaction.
	Compaction *Compaction `json:"compaction"`
	// InterleavedThinking: the request's anthropic-beta header asks for
	// interleaved thinking, whose thinking.budget_tokens spans every
	// thinking block of the turn and may exceed max_tokens. Set by the
	// server, after decoding, before Validate.
	InterleavedThinking bool `json:"-"`

	// conversation is what Validate translated, for Conversation: a
	// Claude Code request's blocks were decoded twice (1.5 ms of 3 for a
	// 65 KB request, BenchmarkRequest).
	conversation []qp.Message
	// toolChanges are the tool_addition and tool_removal blocks of the
	// role "system" messages, in order, as translate read them.
	toolChanges []toolChange
	// endsCompacted: the conversation's last message but system messages
	// holds a compaction block's summary (see Turn).
	endsCompacted bool
}

// efforts are output_config.effort's values, which have no effect here but
// are held to Anthropic's list.
var efforts = []string{"low", "medium", "high", "xhigh", "max"}

// Message is one turn: a user or assistant message whose content is a string
// or a list of blocks.
type Message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// Block is a content block of a request message. Only the fields of the
// types the proxy reads are decoded.
type Block struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text"`        // text: nil when absent or null (see text)
	ID        string          `json:"id"`          // tool_use
	Name      string          `json:"name"`        // tool_use
	Input     json.RawMessage `json:"input"`       // tool_use
	ToolUseID string          `json:"tool_use_id"` // tool_result
	Content   json.RawMessage `json:"content"`     // tool_result: a string or blocks
	IsError   bool            `json:"is_error"`    // tool_result
	Source    *Source         `json:"source"`      // image, document
	Title     string          `json:"title"`       // document
	Context   string          `json:"context"`     // document
	// An earlier answer's reasoning (thinking, redacted_thinking): checked,
	// not read (Qwen keeps its own reasoning).
	Thinking  json.RawMessage `json:"thinking"`
	Signature json.RawMessage `json:"signature"`
	Data      json.RawMessage `json:"data"`
	// Tool is a tool_addition's or tool_removal's tool (in a role
	// "system" message): a reference by name, or a definition.
	Tool json.RawMessage `json:"tool"`
	// ToolChanges are a compaction block's tool_addition and
	// tool_removal entries (its Content is its summary, or null).
	ToolChanges json.RawMessage `json:"tool_changes"`
	// ToolName is a tool_reference's tool (in a tool_result: a client's
	// own tool search loading it).
	ToolName string `json:"tool_name"`
}

// text is a text block's text, at param, or Anthropic's 400 for one
// without it: "text" is required (taken as "", a client's malformed block
// passed unseen). An empty text is a text.
func (b *Block) text(param string) (string, *openai.Error) {
	if b.Text == nil {
		return "", openai.InvalidRequest(param+".text", "missing_required_parameter", "%s.text: Field required", param)
	}
	return *b.Text, nil
}

// Source is an image block's image — base64 data of a media type, or a
// URL — or a document block's document: plain text (type text), text
// blocks (type content), or a PDF's base64 data (type base64; a url source
// is not fetched).
type Source struct {
	Type      string          `json:"type"` // base64, url, text, content
	MediaType string          `json:"media_type"`
	Data      string          `json:"data"`
	URL       string          `json:"url"`
	Content   json.RawMessage `json:"content"` // content: a string or text blocks
}

// imageURL is the source as a data: URL or its http(s) URL, or "".
func (s *Source) imageURL() string {
	switch {
	case s == nil:
		return ""
	case s.Type == "base64" && s.Data != "" && strings.HasPrefix(s.MediaType, "image/"):
		return "data:" + s.MediaType + ";base64," + s.Data
	case s.Type == "url" && qp.IsWebURL(s.URL):
		return s.URL
	}
	return ""
}

// Tool is a client tool: a name, a description and the JSON Schema of its
// input; or an Anthropic-defined client tool (bash, the text editor), which
// has only its type and name (see definedToolOf).
type Tool struct {
	Type        string          `json:"type"` // "", "custom", bash_…, text_editor_…, web_search_…; other server tools are refused
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
	Strict      *bool           `json:"strict"` // true: its calls' input is checked against input_schema
	// The web search tool's settings: checked, without effect
	// (openai.CheckSearchSetting).
	MaxUses        json.RawMessage `json:"max_uses"`
	AllowedDomains json.RawMessage `json:"allowed_domains"`
	BlockedDomains json.RawMessage `json:"blocked_domains"`
	UserLocation   json.RawMessage `json:"user_location"`
	// DeferLoading (a boolean) asks that the tool be loaded only once a
	// tool search finds it: checked, without effect, as every tool is
	// offered from the start (see isToolSearchTool).
	DeferLoading json.RawMessage `json:"defer_loading"`
	// MaxCharacters (text_editor_20250728 and later) is how much of a
	// file the client's view shows: the client truncates, so it is
	// checked (an integer, at least 1), without effect here.
	MaxCharacters json.RawMessage `json:"max_characters"`
}

// searchSettings checks the web search tool's settings; p names a field.
func (t *Tool) searchSettings(p func(string) string) *openai.Error {
	return inAnthropicWords(openai.CheckSearchSettings(p, openai.ToolSetting{Key: "max_uses", Value: t.MaxUses}, openai.ToolSetting{Key: "allowed_domains", Value: t.AllowedDomains},
		openai.ToolSetting{Key: "blocked_domains", Value: t.BlockedDomains}, openai.ToolSetting{Key: "user_location", Value: t.UserLocation}))
}

// ToolChoice is auto, any (some tool must be called), tool (the named one)
// or none.
type ToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use"`
}

// Thinking asks for the model's reasoning ("enabled" or "adaptive"), or not
// ("disabled"). Display is "summarized" (the default here) or "omitted":
// thinking blocks come with an empty thinking field and their signature.
type Thinking struct {
	Type         string          `json:"type"`
	BudgetTokens json.RawMessage `json:"budget_tokens"`
	Display      string          `json:"display"`
}

// extraInputs refuses, as Anthropic does, a field its thinking type does
// not take: budget_tokens beside adaptive or disabled (adaptive leaves
// the budget to the model), display beside disabled. Anthropic names the
// field by the thinking's type, as in checkBudget's errors:
// "thinking.adaptive.budget_tokens: Extra inputs are not permitted". One
// sent was taken without a word, the client believing its budget held.
func (t *Thinking) extraInputs() *openai.Error {
	extra := func(field string) *openai.Error {
		param := "thinking." + t.Type + "." + field
		return openai.InvalidRequest(param, "unknown_parameter", "%s: Extra inputs are not permitted", param)
	}
	switch {
	case t.Type != "enabled" && t.BudgetTokens != nil:
		return extra("budget_tokens")
	case t.Type == "disabled" && t.Display != "":
		return extra("display")
	}
	return nil
}

// minThinkingBudget is Anthropic's least thinking.budget_tokens.
const minThinkingBudget = 1024

// Limits of what a request may carry.
const (
	maxStopSequences = 16
	maxStopLength    = 1000
)

var toolName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// DottedPaths tells openai.Decode to word a type error's parameter as
// Anthropic does, its indexes dotted: messages.1.content.
func (*Request) DottedPaths() {}

// Validate checks a Messages request; countOnly is count_tokens, which takes
// no max_tokens. It never calls upstream.
func (r *Request) Validate(countOnly bool) *openai.Error {
	if strings.TrimSpace(r.Model) == "" {
		return openai.InvalidRequest("model", "missing_required_parameter", "model: Field required")
	}
	// count_tokens takes no max_tokens (Anthropic's refuses one as an
	// extra input): clients send it /v1/messages' body, so one sent is held
	// to what /v1/messages holds it to.
	if !countOnly && openai.IsNull(r.MaxTokens) {
		return openai.InvalidRequest("max_tokens", "missing_required_parameter", "max_tokens: Field required")
	}
	if err := integer("max_tokens", r.MaxTokens, 1); err != nil {
		return err
	}
	if len(r.Messages) == 0 {
		return openai.InvalidRequest("messages", "missing_required_parameter", "messages: at least one message is required")
	}
	conversation, err := r.translate()
	if err != nil {
		return err
	}
	// Something must be new for Qwen, as in the other APIs: a user message
	// (a tool result is one). Assistant messages alone were sent as an empty
	// user turn.
	// A compaction's summary stands for the turns it summarizes: the
	// model goes on from it (Turn).
	asked := r.endsCompacted
	for i := range r.Messages {
		asked = asked || r.Messages[i].Role == "user"
	}
	if !asked {
		return openai.InvalidRequest("messages", "invalid_value", "messages: at least one user message is required")
	}
	if r.Temperature != nil && (*r.Temperature < 0 || *r.Temperature > 1) {
		return openai.InvalidRequest("temperature", "invalid_value", "temperature: must be between 0 and 1, not %g", *r.Temperature)
	}
	if r.TopP != nil && (*r.TopP < 0 || *r.TopP > 1) {
		return openai.InvalidRequest("top_p", "invalid_value", "top_p: must be between 0 and 1, not %g", *r.TopP)
	}
	if err := integer("top_k", r.TopK, 0); err != nil {
		return err
	}
	if len(r.StopSequences) > maxStopSequences {
		return openai.InvalidRequest("stop_sequences", "invalid_value", "stop_sequences: at most %d", maxStopSequences)
	}
	for i, s := range r.StopSequences {
		if s == "" || len(s) > maxStopLength {
			return openai.InvalidRequest(fmt.Sprintf("stop_sequences.%d", i), "invalid_value", "stop_sequences.%d: must be 1-%d bytes", i, maxStopLength)
		}
	}
	if t := r.Thinking; t != nil {
		switch t.Type {
		case "enabled", "adaptive", "disabled":
		default:
			return openai.InvalidRequest("thinking.type", "invalid_value", "thinking.type: must be enabled, adaptive or disabled")
		}
		if t.Type == "enabled" {
			if err := r.checkBudget(); err != nil {
				return err
			}
		}
		if err := t.extraInputs(); err != nil {
			return err
		}
		if t.Display != "" && t.Display != "summarized" && t.Display != "omitted" {
			return openai.InvalidRequest("thinking.display", "invalid_value", "thinking.display: must be summarized or omitted")
		}
	}
	if c := r.OutputConfig; c != nil && c.Effort != nil && !slices.Contains(efforts, *c.Effort) {
		return openai.InvalidRequest("output_config.effort", "invalid_value", "output_config.effort: must be one of %s, not %q", strings.Join(efforts, ", "), *c.Effort)
	}
	if err := r.checkCompaction(); err != nil {
		return err
	}
	if _, err := r.ToolSet(); err != nil {
		return err
	}
	if _, err := r.AnswerFormat(); err != nil {
		return err
	}
	r.conversation = conversation
	return nil
}

// checkBudget holds enabled thinking's budget_tokens to Anthropic's rules,
// in its words: at least 1024, and below max_tokens (when one is sent: it
// is count_tokens') unless the thinking is interleaved.
func (r *Request) checkBudget() *openai.Error {
	// Anthropic names the field by the thinking's type in every error of
	// it.
	const param = "thinking.enabled.budget_tokens"
	budget := r.Thinking.BudgetTokens
	if openai.IsNull(budget) {
		return openai.InvalidRequest(param, "missing_required_parameter", "%s: Field required", param)
	}
	if err := integer(param, budget, math.Inf(-1)); err != nil {
		return err
	}
	b, _ := openai.IntegerValue(budget)
	if b < minThinkingBudget {
		return openai.InvalidRequest(param, "invalid_value", "%s: Input should be greater than or equal to %d", param, minThinkingBudget)
	}
	if limit, sent := openai.IntegerValue(r.MaxTokens); sent && limit <= b && !r.InterleavedThinking {
		return openai.InvalidRequest(param, "invalid_value", "`max_tokens` must be greater than `thinking.budget_tokens`. "+
			"Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size")
	}
	return nil
}

// OutputLimit is max_tokens, the bound on the answer's output tokens (0
// for none: count_tokens', or one beyond any answer).
func (r *Request) OutputLimit() int { return openai.OutputLimit(r.MaxTokens) }

// AnswerFormat reads output_config.format (or the beta output_format) into
// the core's answer format: nil for none, else the JSON Schema the answer
// must meet (Anthropic's structured outputs always hold to it: strict).
func (r *Request) AnswerFormat() (*openai.ResponseFormat, *openai.Error) {
	raw, param := r.formatField()
	if openai.IsNull(raw) {
		return nil, nil
	}
	var f struct {
		Type   string          `json:"type"`
		Schema json.RawMessage `json:"schema"`
	}
	if json.Unmarshal(raw, &f) != nil {
		return nil, openai.InvalidRequest(param, "invalid_type", `%s: must be an object: {"type":"json_schema","schema":{…}}`, param)
	}
	if f.Type != "json_schema" {
		return nil, openai.InvalidRequest(param+".type", "invalid_value", "%s.type: must be json_schema", param)
	}
	if openai.IsNull(f.Schema) {
		return nil, openai.InvalidRequest(param+".schema", "missing_required_parameter", "%s.schema: Field required", param)
	}
	strict := true
	return openai.JSONSchemaFormat(param, "output", "", f.Schema, &strict)
}

// FormatParam names the field that holds the answer's format:
// output_config.format, or the beta output_format.
func (r *Request) FormatParam() string {
	_, param := r.formatField()
	return param
}

// formatField is the answer's format as sent, and the field that holds it
// (output_config.format wins over the beta output_format).
func (r *Request) formatField() (json.RawMessage, string) {
	if r.OutputConfig != nil && !openai.IsNull(r.OutputConfig.Format) {
		return r.OutputConfig.Format, "output_config.format"
	}
	return r.OutputFormat, "output_format"
}

// WantsThinking reports whether the client asked for the model's reasoning.
func (r *Request) WantsThinking() bool {
	return r.Thinking != nil && r.Thinking.Type != "disabled"
}

// OmitsThinking reports whether thinking blocks are to be sent without
// their text (thinking.display "omitted"), their signature only.
func (r *Request) OmitsThinking() bool {
	return r.Thinking != nil && r.Thinking.Display == "omitted"
}

// ThinksAdaptively reports whether the request leaves how much to think to
// the model (thinking {"type":"adaptive"}, as Claude Code sends it).
func (r *Request) ThinksAdaptively() bool {
	return r.Thinking != nil && r.Thinking.Type == "adaptive"
}

// ToolSet reads tools and tool_choice into the core's tool set.
func (r *Request) ToolSet() (*tools.Set, *openai.Error) {
	set := &tools.Set{Choice: tools.Choice{Mode: "auto"}}
	seen := map[string]bool{}
	for i, t := range r.Tools {
		p := func(f string) string { return fmt.Sprintf("tools.%d.%s", i, f) }
		if isWebSearchTool(t.Type) {
			// Qwen's own web search stands for it: it turns search on
			// (SearchTool) and is not offered as a client tool.
			if t.Name != webSearchName {
				return nil, openai.InvalidRequest(p("name"), "invalid_value", "%s: a %s tool must be named %q", p("name"), t.Type, webSearchName)
			}
			if e := t.searchSettings(p); e != nil {
				return nil, e
			}
			continue
		}
		if name, ok := toolSearchName(t.Type); ok {
			// Every tool is offered from the start, deferred or not:
			// there is nothing left for the model to search.
			if t.Name != name {
				return nil, openai.InvalidRequest(p("name"), "invalid_value", "%s: a %s tool must be named %q", p("name"), t.Type, name)
			}
			continue
		}
		if v := bytes.TrimSpace(t.DeferLoading); len(v) > 0 && !openai.IsNull(v) && string(v) != "true" && string(v) != "false" {
			return nil, typeError(p("defer_loading"), "a boolean", v)
		}
		tool, err := t.clientTool(p)
		if err != nil {
			return nil, err
		}
		if seen[t.Name] {
			return nil, openai.InvalidRequest(p("name"), "invalid_value", "%s: %q is declared twice", p("name"), t.Name)
		}
		seen[t.Name] = true
		set.Tools = append(set.Tools, tool)
	}
	// The role "system" messages' tool_addition and tool_removal blocks
	// change the set from where they stand: the model is offered the set
	// in effect at the conversation's end.
	if err := r.applyToolChanges(set); err != nil {
		return nil, err
	}
	// A tool_choice forcing the web search leaves the choice to the model:
	// the search runs whatever it says.
	if c := r.ToolChoice; c != nil && !r.ForcesSearch() {
		switch c.Type {
		case "auto":
		case "none":
			set.Choice.Mode = "none"
		case "any":
			set.Choice.Mode = "required"
		case "tool":
			if c.Name == "" {
				return nil, openai.InvalidRequest("tool_choice.name", "missing_required_parameter", "tool_choice.name: Field required when tool_choice.type is tool")
			}
			if _, ok := set.Lookup(c.Name); !ok {
				return nil, openai.InvalidRequest("tool_choice.name", "invalid_value", "tool_choice.name: %q is not among the tools", c.Name)
			}
			set.Choice = tools.Choice{Mode: "function", Name: c.Name}
		default:
			return nil, openai.InvalidRequest("tool_choice.type", "invalid_value", "tool_choice.type: must be auto, any, tool or none")
		}
		if (c.Type == "any" || c.Type == "tool") && len(set.Tools) == 0 {
			return nil, openai.InvalidRequest("tool_choice", "invalid_value", "tool_choice: %s requires tools", c.Type)
		}
	}
	return set, nil
}

// clientTool is t, declared at p, as the core's tool: a client tool, or an
// Anthropic-defined one (bash, the text editor, the memory tool) with the
// schema the proxy gives it. A server tool or computer use is a 400.
func (t Tool) clientTool(p func(string) string) (tools.Tool, *openai.Error) {
	if t.Type != "" && t.Type != "custom" {
		defined, ok := definedToolOf(t.Type)
		if !ok {
			return tools.Tool{}, openai.InvalidRequest(p("type"), "unsupported_value",
				"%s: %q is a server tool or computer use, which Qwen cannot run; client tools (name, description, input_schema), bash, the text editor and the memory tool are supported", p("type"), t.Type)
		}
		if t.Name != defined.name {
			return tools.Tool{}, openai.InvalidRequest(p("name"), "invalid_value", "%s: a %s tool must be named %q", p("name"), t.Type, defined.name)
		}
		if err := t.checkMaxCharacters(p); err != nil {
			return tools.Tool{}, err
		}
		t.Description, t.InputSchema = defined.description, defined.schema
	}
	if !toolName.MatchString(t.Name) {
		return tools.Tool{}, openai.InvalidRequest(p("name"), "invalid_value", "%s: must be 1-128 letters, digits, '_' or '-'", p("name"))
	}
	schema := bytes.TrimSpace(t.InputSchema)
	if openai.IsNull(schema) {
		return tools.Tool{}, openai.InvalidRequest(p("input_schema"), "missing_required_parameter", "%s: a JSON Schema object is required", p("input_schema"))
	}
	// Its content is checked by tools.Schemas.
	return tools.Tool{Name: t.Name, Description: t.Description, Parameters: schema, Param: p("input_schema"),
		Strict: t.Strict != nil && *t.Strict}, nil
}

// checkMaxCharacters holds a text editor's max_characters, when sent, to
// Anthropic's definition: an integer, at least 1, taken by
// text_editor_20250728 and later versions only (an earlier one's is an
// extra input, which Anthropic refuses).
func (t Tool) checkMaxCharacters(p func(string) string) *openai.Error {
	if t.MaxCharacters == nil {
		return nil
	}
	version, editor := strings.CutPrefix(t.Type, "text_editor_")
	if !editor || version < firstMaxCharactersVersion {
		return openai.InvalidRequest(p("max_characters"), "unknown_parameter", "%s: Extra inputs are not permitted", p("max_characters"))
	}
	if openai.IsNull(t.MaxCharacters) {
		return nil
	}
	return integer(p("max_characters"), t.MaxCharacters, 1)
}

// firstMaxCharactersVersion is the first text editor version that takes
// max_characters.
const firstMaxCharactersVersion = "20250728"

// toolSearchName is the name Anthropic's tool search server tool of type
// typ must have (tool_search_tool_regex_20251119 is tool_search_tool_regex,
// tool_search_tool_bm25_20251119 tool_search_tool_bm25), and whether typ is
// one. The proxy offers the model every tool from the start, those with
// defer_loading too, so the search tool itself is never offered or run,
// and an answer holds no server_tool_use or tool_search_tool_result block.
func toolSearchName(typ string) (string, bool) {
	for _, name := range []string{"tool_search_tool_regex", "tool_search_tool_bm25"} {
		if strings.HasPrefix(typ, name+"_") {
			return name, true
		}
	}
	return "", false
}

// webSearchName is the name Anthropic's web search server tool must have.
const webSearchName = "web_search"

// isWebSearchTool reports whether typ is Anthropic's web search server tool
// (web_search_20250305, web_search_20260209, …).
func isWebSearchTool(typ string) bool { return strings.HasPrefix(typ, webSearchName+"_") }

// SearchTool is where the request declares Anthropic's web search server
// tool ("tools.N"), which turns on Qwen's web search; ok is false when it
// declares none. Its settings (max_uses, allowed_domains, blocked_domains,
// user_location) have no effect: Qwen searches as it does.
func (r *Request) SearchTool() (param string, ok bool) {
	for i, t := range r.Tools {
		if isWebSearchTool(t.Type) {
			return fmt.Sprintf("tools.%d", i), true
		}
	}
	return "", false
}

// ForcesSearch reports whether tool_choice makes the declared web search
// the tool used: named ({"type":"tool","name":"web_search"}), or "any" with
// no other tool declared.
func (r *Request) ForcesSearch() bool {
	if _, ok := r.SearchTool(); !ok || r.ToolChoice == nil {
		return false
	}
	switch r.ToolChoice.Type {
	case "tool":
		return r.ToolChoice.Name == webSearchName
	case "any":
		return !slices.ContainsFunc(r.Tools, func(t Tool) bool { return !isWebSearchTool(t.Type) })
	}
	return false
}

// SearchOffered reports whether tool_choice leaves the declared web search
// to the model: not "none" (no tool at all), and not a forced call of
// another tool.
func (r *Request) SearchOffered() bool {
	if r.ToolChoice == nil {
		return true
	}
	switch r.ToolChoice.Type {
	case "none":
		return false
	case "tool":
		return r.ToolChoice.Name == webSearchName
	}
	return true
}

// Conversation translates a validated request into the core's conversation:
// the system prompt first, then each message; a user message's tool_result
// blocks become tool messages ahead of its text.
func (r *Request) Conversation() []qp.Message {
	if r.conversation != nil {
		return r.conversation
	}
	out, _ := r.translate()
	return out
}

// translate checks the system prompt and every message and returns them in
// the core's form.
func (r *Request) translate() ([]qp.Message, *openai.Error) {
	sys, err := r.systemText()
	if err != nil {
		return nil, err
	}
	var out []qp.Message
	if strings.TrimSpace(sys) != "" {
		out = append(out, qp.Message{Role: "system", Text: sys})
	}
	r.toolChanges, r.endsCompacted = r.toolChanges[:0], false
	for i := range r.Messages {
		if r.Messages[i].Role == "system" {
			// Claude Code (beta "mid-conversation-system") sends part of
			// its context as a system message among the others: before
			// the first answer it joins the system prompt, after it it is
			// told with its turn, as a Chat Completions system message is
			// (translate.SystemText). Its tool blocks change the tool set
			// (ToolSet); one of them alone says nothing to the model.
			text, changes, err := systemContent(r.Messages[i].Content, fmt.Sprintf("messages.%d.content", i))
			if err != nil {
				return nil, err
			}
			r.toolChanges = append(r.toolChanges, changes...)
			if len(changes) == 0 || strings.TrimSpace(text) != "" {
				out = append(out, qp.Message{Role: "system", Text: text})
			}
			continue
		}
		summarized := false
		msgs, err := r.Messages[i].translate(i, &r.toolChanges, &summarized)
		if err != nil {
			return nil, err
		}
		r.endsCompacted = summarized
		out = append(out, msgs...)
	}
	return out, nil
}

// systemText is the system prompt: a string, or text blocks joined by blank
// lines.
func (r *Request) systemText() (string, *openai.Error) {
	return blocksText(r.System, "system", "\n\n")
}

// blocksText reads a value that is a string or a list of text blocks (the
// system prompt, a tool result's content), joining the blocks with sep.
func blocksText(raw json.RawMessage, param, sep string) (string, *openai.Error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if s, ok := jsonscan.StringValue(raw); ok {
		return s, nil
	}
	blocks, err := decodeBlocks(raw, param, "must be a string or a list of text blocks")
	if err != nil {
		return "", err
	}
	parts := make([]string, 0, len(blocks))
	for i, b := range blocks {
		if b.Type != "text" {
			return "", openai.InvalidRequest(fmt.Sprintf("%s.%d.type", param, i), "unsupported_value",
				"%s.%d: only text blocks are supported here, not %q", param, i, b.Type)
		}
		text, err := b.text(fmt.Sprintf("%s.%d", param, i))
		if err != nil {
			return "", err
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, sep), nil
}

// imageOf is the image block at param: its image as a URL (see imageURL),
// named by its source's field, or a 400 for a source that is neither.
func imageOf(b *Block, param string) (qp.Image, *openai.Error) {
	u := b.Source.imageURL()
	switch {
	case u == "" && b.Source != nil && b.Source.Type == "file":
		// Anthropic's Files API: the proxy has no files to read it from.
		return qp.Image{}, openai.InvalidRequest(param+".source.type", "unsupported_value",
			"%s.source: file sources (Anthropic's Files API) are not supported; send the image as base64 data or an http(s) url", param)
	case u == "" && b.Source != nil && b.Source.Type == "base64" && b.Source.Data != "" && b.Source.MediaType == "":
		return qp.Image{}, openai.InvalidRequest(param+".source.media_type", "missing_required_parameter", "%s.source.media_type: Field required", param)
	case u == "" && b.Source != nil && b.Source.Type == "base64" && b.Source.Data != "" && !strings.HasPrefix(b.Source.MediaType, "image/"):
		return qp.Image{}, openai.InvalidRequest(param+".source.media_type", "invalid_value",
			"%s.source.media_type: an image's must be an image/* type (image/png, image/jpeg, image/webp, image/gif), not %q", param, b.Source.MediaType)
	}
	if u == "" && b.Source != nil && b.Source.Type == "url" {
		return qp.Image{}, openai.InvalidRequest(param+".source.url", "invalid_value", "%s.source.url: must be an http(s) URL", param)
	}
	if u == "" {
		return qp.Image{}, openai.InvalidRequest(param+".source", "invalid_value", "%s.source: must be base64 data of an image/* media_type, or an http(s) url", param)
	}
	field := ".source.data"
	if b.Source.Type == "url" {
		field = ".source.url"
	}
	return qp.Image{URL: u, Param: param + field}, nil
}

// documentText is a document block as the model reads it. A plain-text
// document is text: its title and context, when given, each on a line of
// its own before the document's text. A PDF (a base64 source of
// media_type application/pdf) is a document to attach (the server uploads
// it as the web client attaches files), named by its title; its title and
// context, when given, are text ("Document: <title>", the context) before
// it. A url source is a document fetched by URL (loadDocuments).
// Citations are not produced (citations.enabled is accepted and has no
// effect).
func documentText(b *Block, param string) (string, *qp.Document, *openai.Error) {
	var body string
	var doc *qp.Document
	switch {
	case b.Source == nil:
		return "", nil, openai.InvalidRequest(param+".source", "missing_required_parameter", "%s.source: Field required", param)
	case b.Source.Type == "text":
		// Without its text, as a PDF without its data, the document is
		// missing, not empty: the model would be told nothing of it.
		if b.Source.Data == "" {
			return "", nil, openai.InvalidRequest(param+".source.data", "missing_required_parameter", "%s.source.data: Field required", param)
		}
		body = b.Source.Data
	case b.Source.Type == "content":
		if openai.IsNull(b.Source.Content) {
			return "", nil, openai.InvalidRequest(param+".source.content", "missing_required_parameter", "%s.source.content: Field required", param)
		}
		var err *openai.Error
		if body, err = blocksText(b.Source.Content, param+".source.content", "\n\n"); err != nil {
			return "", nil, err
		}
	case b.Source.Type == "":
		return "", nil, openai.InvalidRequest(param+".source.type", "missing_required_parameter", "%s.source.type: Field required", param)
	case b.Source.Type == "base64":
		if b.Source.MediaType == "" {
			return "", nil, openai.InvalidRequest(param+".source.media_type", "missing_required_parameter", "%s.source.media_type: Field required", param)
		}
		if b.Source.MediaType != "application/pdf" {
			return "", nil, openai.InvalidRequest(param+".source.media_type", "invalid_value",
				"%s.source.media_type: a base64 document must be application/pdf, not %q (send plain text as a text source)", param, b.Source.MediaType)
		}
		if b.Source.Data == "" {
			return "", nil, openai.InvalidRequest(param+".source.data", "missing_required_parameter", "%s.source.data: Field required", param)
		}
		doc = &qp.Document{Name: strings.TrimSpace(b.Title), URL: "data:application/pdf;base64," + b.Source.Data, Param: param + ".source.data"}
	case b.Source.Type == "url":
		// Fetched by the server when ALLOW_IMAGE_URLS allows it, as an
		// image's url source is; refused there otherwise.
		if !qp.IsWebURL(b.Source.URL) {
			return "", nil, openai.InvalidRequest(param+".source.url", "invalid_value", "%s.source.url: must be an http(s) URL", param)
		}
		doc = &qp.Document{Name: strings.TrimSpace(b.Title), URL: b.Source.URL, Param: param + ".source.url"}
	default:
		return "", nil, openai.InvalidRequest(param+".source.type", "unsupported_value",
			"%s.source: only text, content, base64 (PDF) and url documents are supported, not %q", param, b.Source.Type)
	}
	var head []string
	if t := strings.TrimSpace(b.Title); t != "" {
		head = append(head, "Document: "+t)
	}
	if c := strings.TrimSpace(b.Context); c != "" {
		head = append(head, c)
	}
	switch {
	case doc != nil:
		return strings.Join(head, "\n"), doc, nil
	case len(head) == 0:
		return body, nil, nil
	}
	return strings.Join(head, "\n") + "\n\n" + body, nil, nil
}

// toolResult reads a tool_result's content: a string, or text and image
// blocks (Claude Code's Read of an image file, a screenshot), the text
// joined by newlines and the images as a user message's go to Qwen.
func toolResult(raw json.RawMessage, param string) (string, []qp.Image, []qp.Document, *openai.Error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		text, err := blocksText(raw, param, "\n")
		return text, nil, nil, err
	}
	blocks, err := decodeBlocks(raw, param, "must be a string or a list of text and image blocks")
	if err != nil {
		return "", nil, nil, err
	}
	var text []string
	var images []qp.Image
	var docs []qp.Document
	for i, b := range blocks {
		bp := fmt.Sprintf("%s.%d", param, i)
		switch b.Type {
		case "text":
			t, err := b.text(bp)
			if err != nil {
				return "", nil, nil, err
			}
			text = append(text, t)
		case "image":
			u, err := imageOf(&b, bp)
			if err != nil {
				return "", nil, nil, err
			}
			images = append(images, u)
		case "document":
			doc, file, err := documentText(&b, bp)
			if err != nil {
				return "", nil, nil, err
			}
			if doc != "" || file == nil {
				text = append(text, doc)
			}
			if file != nil {
				docs = append(docs, *file)
			}
		case "search_result":
			text = append(text, *b.Text) // decodeBlocks wrote it out
		case "tool_reference":
			// A client's own tool search loading a tool: the model was
			// offered every tool from the start, so it is told the tool
			// is there.
			if b.ToolName == "" {
				return "", nil, nil, openai.InvalidRequest(bp+".tool_name", "missing_required_parameter", "%s.tool_name: Field required", bp)
			}
			text = append(text, fmt.Sprintf("Tool %s is loaded: call it as any other tool.", b.ToolName))
		default:
			return "", nil, nil, openai.InvalidRequest(bp+".type", "unsupported_value",
				"%s: only text, image, document, search_result and tool_reference blocks are supported here, not %q", bp, b.Type)
		}
	}
	return strings.Join(text, "\n"), images, docs, nil
}

// serverToolBlock reports whether typ is a block Anthropic's server tools or
// MCP connector put in an answer: server_tool_use, mcp_tool_use, a tool's
// result (web_search_tool_result, web_fetch_tool_result,
// code_execution_tool_result, …, mcp_tool_result; not a client's
// tool_result) or container_upload.
func serverToolBlock(typ string) bool {
	switch typ {
	case "server_tool_use", "mcp_tool_use", "container_upload":
		return true
	}
	return strings.HasSuffix(typ, "_tool_result")
}

// translate checks message i and returns it in the core's form (several
// messages when it carries tool results); the tool changes of its
// compaction blocks join changes, and summarized says whether one of them
// held a summary.
func (m *Message) translate(i int, changes *[]toolChange, summarized *bool) ([]qp.Message, *openai.Error) {
	p := func(f string) string { return fmt.Sprintf("messages.%d.%s", i, f) }
	if m.Role == "" { // absent or null
		return nil, openai.InvalidRequest(p("role"), "missing_required_parameter", "%s: Field required", p("role"))
	}
	if m.Role != "user" && m.Role != "assistant" {
		return nil, openai.InvalidRequest(p("role"), "invalid_value", "%s: must be user, assistant or system, not %q", p("role"), m.Role)
	}
	raw := bytes.TrimSpace(m.Content)
	if len(raw) == 0 { // absent: it was "not a value of another type"
		return nil, openai.InvalidRequest(p("content"), "missing_required_parameter", "%s: Field required", p("content"))
	}
	if s, ok := jsonscan.StringValue(raw); ok || string(raw) == "null" { // null: as an empty string
		if strings.TrimSpace(s) == "" && !(m.Role == "assistant") {
			return nil, openai.InvalidRequest(p("content"), "invalid_value", "%s: must not be empty", p("content"))
		}
		return []qp.Message{{Role: m.Role, Text: s}}, nil
	}
	blocks, err := decodeBlocks(raw, p("content"), "must be a string or a list of content blocks")
	if err != nil {
		return nil, err
	}
	if len(blocks) == 0 && m.Role == "user" {
		return nil, openai.InvalidRequest(p("content"), "invalid_value", "%s: must not be empty", p("content"))
	}
	var out []qp.Message
	var text []string
	msg := qp.Message{Role: m.Role}
	noOps := 0 // compaction blocks without a summary
	for j, b := range blocks {
		bp := fmt.Sprintf("%s.%d", p("content"), j)
		switch {
		case b.Type == "text":
			t, err := b.text(bp)
			if err != nil {
				return nil, err
			}
			text = append(text, t)
		case b.Type == "image" && m.Role == "user":
			u, err := imageOf(&b, bp)
			if err != nil {
				return nil, err
			}
			msg.Images = append(msg.Images, u)
		case b.Type == "document" && m.Role == "user":
			doc, file, err := documentText(&b, bp)
			if err != nil {
				return nil, err
			}
			if doc != "" || file == nil {
				text = append(text, doc)
			}
			if file != nil {
				msg.Documents = append(msg.Documents, *file)
			}
		case b.Type == "search_result" && m.Role == "user":
			text = append(text, *b.Text) // decodeBlocks wrote it out
		case b.Type == "tool_result" && m.Role == "user":
			if b.ToolUseID == "" {
				return nil, openai.InvalidRequest(bp+".tool_use_id", "missing_required_parameter", "%s.tool_use_id: Field required", bp)
			}
			result, images, docs, err := toolResult(b.Content, bp+".content")
			if err != nil {
				return nil, err
			}
			out = append(out, qp.Message{Role: "tool", ToolCallID: CallID(b.ToolUseID), Text: result, Images: images, Documents: docs, IsError: b.IsError})
		case b.Type == "tool_use" && m.Role == "assistant":
			for _, f := range []struct{ name, value string }{{"id", b.ID}, {"name", b.Name}} {
				if f.value == "" {
					return nil, openai.InvalidRequest(bp+"."+f.name, "missing_required_parameter", "%s.%s: Field required", bp, f.name)
				}
			}
			if openai.IsNull(b.Input) {
				return nil, openai.InvalidRequest(bp+".input", "missing_required_parameter", "%s.input: Field required", bp)
			}
			args, ok := tools.CompactObject(b.Input)
			if !ok {
				return nil, typeError(bp+".input", "an object", b.Input)
			}
			msg.ToolCalls = append(msg.ToolCalls, qp.ToolCall{ID: CallID(b.ID), Name: b.Name, Arguments: args})
		case b.Type == "compaction" && m.Role == "assistant":
			summary, blockChanges, err := compactionBlock(&b, bp)
			if err != nil {
				return nil, err
			}
			if summary == nil {
				noOps++
				continue
			}
			text = append(text, *summary)
			*changes = append(*changes, blockChanges...)
			*summarized = true
		case (b.Type == "thinking" || b.Type == "redacted_thinking") && m.Role == "assistant":
			// The model's earlier reasoning: Qwen keeps its own, but the
			// block is held to its fields' types.
			for _, f := range []struct {
				name string
				raw  json.RawMessage
			}{{"thinking", b.Thinking}, {"signature", b.Signature}, {"data", b.Data}} {
				if v := bytes.TrimSpace(f.raw); len(v) > 0 && v[0] != '"' && !openai.IsNull(v) {
					return nil, typeError(bp+"."+f.name, "a string", v)
				}
			}
		case serverToolBlock(b.Type) && m.Role == "assistant":
			// What Anthropic's server tools (and MCP connector) left in an
			// answer of a conversation begun there: their calls and
			// results, opaque or encrypted. The model is told the answer's
			// text around them, which says what it made of them, as a
			// resent thinking block is not read either.
		case b.Type == "":
			return nil, openai.InvalidRequest(bp+".type", "missing_required_parameter", "%s.type: Field required", bp)
		default:
			return nil, openai.InvalidRequest(bp+".type", "unsupported_value",
				"%s: %q blocks are not supported in %s messages (text%s only)", bp, b.Type, m.Role, map[bool]string{true: ", image, document, search_result, tool_result", false: ", tool_use, thinking, compaction and server tool"}[m.Role == "user"])
		}
	}
	// An answer's text blocks are pieces of one text (split by its tool
	// calls): joined as they were produced, the resent answer hashes like
	// the one the proxy gave.
	// A user's text blocks are parts, joined by newlines, whose breaks are
	// kept (qp.Message.PartBreaks): what names a session tells the parts
	// an agent made up from the user's own (translate.FirstUserText).
	if m.Role == "assistant" {
		msg.Text = strings.Join(text, "")
	} else {
		msg.Text, msg.PartBreaks = qp.JoinTextParts(text)
	}
	if m.Role == "user" && strings.TrimSpace(msg.Text) == "" && len(msg.Images) == 0 && len(msg.Documents) == 0 && len(out) == 0 {
		// Empty text blocks and nothing else: as an empty string, a turn
		// with nothing to say (Anthropic refuses empty text too).
		return nil, openai.InvalidRequest(p("content"), "invalid_value", "%s: must not be empty", p("content"))
	}
	if noOps > 0 && noOps == len(blocks) {
		// Only failed compactions, which Anthropic takes back as no-ops:
		// the conversation is as without the message, and keyed so.
		return nil, nil
	}
	if m.Role == "assistant" || len(text) > 0 || len(msg.Images) > 0 || len(msg.Documents) > 0 || len(out) == 0 {
		out = append(out, msg)
	}
	return out, nil
}
