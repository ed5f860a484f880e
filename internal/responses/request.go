package responses

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/jsonscan"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/tools"
)

// Request is the body of POST /v1/responses. Fields Qwen cannot honour
// (temperature, top_p, …) are type-checked and ignored.
type Request struct {
	Model        string          `json:"model"`
	Input        json.RawMessage `json:"input"` // a string or items
	Instructions *string         `json:"instructions"`
	Tools        []Tool          `json:"tools"`
	ToolChoice   json.RawMessage `json:"tool_choice"`
	Stream       bool            `json:"stream"`
	// StreamOptions is read only to refuse it without Stream, as OpenAI
	// does; its include_obfuscation has no effect.
	StreamOptions      *openai.StreamOptions `json:"stream_options"`
	Store              *bool                 `json:"store"`
	PreviousResponseID string                `json:"previous_response_id"`
	// ConversationParam is the conversation the turn continues and is
	// added to (a conv_ id, or an object naming it; see ConversationID).
	ConversationParam json.RawMessage `json:"conversation"`
	Reasoning         *struct {
		Effort  *string `json:"effort"`
		Summary *string `json:"summary"`
	} `json:"reasoning"`
	// MaxOutputTokens bounds the answer's output tokens (OutputLimit).
	// Kept raw, as Chat Completions keeps its limits: it takes any
	// integral number (1e3, 16.0), as every client API's integers do
	// (openai.CheckInteger), which an int would not.
	MaxOutputTokens   json.RawMessage   `json:"max_output_tokens"`
	Temperature       *float64          `json:"temperature"`
	TopP              *float64          `json:"top_p"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls"`
	Metadata          map[string]string `json:"metadata"`
	Include           []string          `json:"include"`
	Truncation        *string           `json:"truncation"` // echoed; Qwen keeps its chat's context itself
	// Text.Format is the answer's form: text, json_object, or json_schema
	// with its name, schema and strict beside the type (Structured
	// Outputs, the Responses API's response_format).
	Text *struct {
		Format    json.RawMessage `json:"format"`
		Verbosity *string         `json:"verbosity"`
	} `json:"text"`

	// messages is what Validate read from Input, for Conversation (a
	// Codex request's items were decoded twice).
	messages []qp.Message
	// additions are the additional_tools items of the input, in order, as
	// input read them.
	additions []addition
	// compacting: the request is POST /v1/responses/compact's (see
	// ForCompaction).
	compacting bool
	// Answered says that the conversation the request continues has
	// answered already, though no answer is in its input: a conversation
	// with a response (the server knows; previous_response_id says it
	// itself). See Conversation.
	Answered bool `json:"-"`
	// Gathered says that the input is items gathered from several calls
	// (a conversation's waiting items before the request's own, an
	// earlier conversation told a new chat): they may share an id (a
	// conversation lists each under its own), which one request's input
	// may not (distinctIDs).
	Gathered bool `json:"-"`
}

// addition is an additional_tools input item: tools offered to the model
// from where it stands in the conversation on.
type addition struct {
	param string // input[N].tools
	tools []Tool
}

// Tool is a declared tool; function and custom tools are emulated, also
// those a namespace groups.
type Tool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
	Format      json.RawMessage `json:"format"` // a custom tool's input format
	Tools       []Tool          `json:"tools"`  // a namespace's tools
	// A web search tool's settings: checked, without effect
	// (openai.CheckSearchSetting).
	SearchContextSize json.RawMessage `json:"search_context_size"`
	UserLocation      json.RawMessage `json:"user_location"`
	Filters           json.RawMessage `json:"filters"`
	// The image generation tool's settings: checked as the image
	// endpoint's fields are (openai.CheckImageToolSettings); size is sent.
	Size              json.RawMessage `json:"size"`
	Quality           json.RawMessage `json:"quality"`
	Background        json.RawMessage `json:"background"`
	Moderation        json.RawMessage `json:"moderation"`
	OutputFormat      json.RawMessage `json:"output_format"`
	OutputCompression json.RawMessage `json:"output_compression"`
	PartialImages     json.RawMessage `json:"partial_images"`
	InputFidelity     json.RawMessage `json:"input_fidelity"`
	InputImageMask    json.RawMessage `json:"input_image_mask"`
	// MaxNumResults is the file search tool's bound on its results: not
	// offered to the model, the tool is declared without effect, but
	// checked as OpenAI defines it (an integer, 1 to 50).
	MaxNumResults json.RawMessage `json:"max_num_results"`
}

// fileSearch is the hosted file search tool's type.
const fileSearch = "file_search"

// maxFileSearchResults is OpenAI's most max_num_results.
const maxFileSearchResults = 50

// fileSearchSettings checks a file search tool's max_num_results, when
// sent; p names a field.
func (t *Tool) fileSearchSettings(p func(string) string) *openai.Error {
	if openai.IsNull(t.MaxNumResults) {
		return nil
	}
	return openai.CheckInteger(1, maxFileSearchResults)(p("max_num_results"), t.MaxNumResults)
}

// imageSettings checks an image generation tool's settings; p names a field.
func (t *Tool) imageSettings(p func(string) string) *openai.Error {
	return openai.CheckImageToolSettings(p, t.imageToolSettings()...)
}

func (t *Tool) imageToolSettings() []openai.ToolSetting {
	return []openai.ToolSetting{{Key: "size", Value: t.Size},
		{Key: "quality", Value: t.Quality}, {Key: "background", Value: t.Background},
		{Key: "moderation", Value: t.Moderation}, {Key: "output_format", Value: t.OutputFormat},
		{Key: "output_compression", Value: t.OutputCompression}, {Key: "partial_images", Value: t.PartialImages},
		{Key: "input_fidelity", Value: t.InputFidelity}, {Key: "input_image_mask", Value: t.InputImageMask}}
}

// ImageToolRefusal is the 400 for a setting of the declared image
// generation tool that Qwen cannot give (a transparent background, another
// format than PNG, partial images, a mask), for a turn that draws with it;
// nil when there is none.
func (r *Request) ImageToolRefusal() *openai.Error {
	for i, t := range r.Tools {
		if t.Type == imageGeneration {
			return openai.ImageToolRefusals(func(f string) string { return fmt.Sprintf("tools[%d].%s", i, f) }, t.imageToolSettings()...)
		}
	}
	return nil
}

// searchSettings checks a web search tool's settings; p names a field.
func (t *Tool) searchSettings(p func(string) string) *openai.Error {
	return openai.CheckSearchSettings(p, openai.ToolSetting{Key: "search_context_size", Value: t.SearchContextSize},
		openai.ToolSetting{Key: "user_location", Value: t.UserLocation}, openai.ToolSetting{Key: "filters", Value: t.Filters})
}

// Item is an input item: a message, a function call and its output, a
// reasoning item, or a reference to an item of a stored response. Only the
// fields the proxy reads are decoded.
type Item struct {
	Type      string          `json:"type"` // "" is a message
	ID        string          `json:"id"`   // the item an item_reference names
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"` // a string or parts
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Input     string          `json:"input"`  // a custom_tool_call's
	Output    json.RawMessage `json:"output"` // a string or parts
	// Summary is a reasoning item's summary parts: checked, not read (Qwen
	// keeps its own reasoning).
	Summary json.RawMessage `json:"summary"`
	// Tools are an additional_tools item's tools, as sent (listed so by
	// GET …/input_items).
	Tools json.RawMessage `json:"tools"`
	// EncryptedContent is a compaction item's summary (DecodeCompaction).
	EncryptedContent *string `json:"encrypted_content"`
}

// Reference reports whether the item is an item_reference: typed so, or
// an item of only an id, as OpenAI reads one whose type is left out
// (openai-go's item reference leaves it out unless set).
func (it *Item) Reference() bool {
	return it.Type == "item_reference" || it.Type == "" && it.Role == "" && it.ID != "" && openai.IsNull(it.Content)
}

// InConversation reports whether the request names a conversation.
func (r *Request) InConversation() bool {
	return len(r.ConversationParam) > 0 && !openai.IsNull(r.ConversationParam)
}

// Stored reports whether the response may be fetched later (store defaults
// to true).
func (r *Request) Stored() bool { return r.Store == nil || *r.Store }

// WantsThinking reports whether the client asked for reasoning.
func (r *Request) WantsThinking() bool {
	if r.Reasoning == nil || r.Reasoning.Effort == nil {
		return false
	}
	switch *r.Reasoning.Effort {
	case "none", "minimal":
		return false
	}
	return true
}

// WantsSummary reports whether the answer carries its reasoning as a
// reasoning item's summary: unless reasoning.summary is "none" (Codex's
// setting for none), when the model still thinks and the output has no
// reasoning item.
func (r *Request) WantsSummary() bool {
	return r.Reasoning == nil || r.Reasoning.Summary == nil || *r.Reasoning.Summary != "none"
}

var functionName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ItemLookup finds the stored item an item_reference names (an output item
// of a stored response, or one of its input items): nil, nil when there is
// none the caller may read; an error when the store cannot say.
type ItemLookup func(id string) (*Item, *openai.Error)

// Validate checks a request. It never calls upstream. Its item_reference
// items name nothing (see ValidateWith).
func (r *Request) Validate() *openai.Error { return r.ValidateWith(nil) }

// ValidateWith is Validate with the lookup that resolves item_reference
// items (the Vercel AI SDK sends the earlier items of a conversation it
// stored so).
func (r *Request) ValidateWith(lookup ItemLookup) *openai.Error { return r.validate(lookup, false) }

// ValidateCountWith is ValidateWith for POST /v1/responses/input_tokens,
// whose input OpenAI documents as optional: without it the count is the
// instructions' and tools' (nothing goes to Qwen, so nothing need be new
// for it). What is sent is held to what ValidateWith holds it to.
func (r *Request) ValidateCountWith(lookup ItemLookup) *openai.Error { return r.validate(lookup, true) }

func (r *Request) validate(lookup ItemLookup, count bool) *openai.Error {
	if strings.TrimSpace(r.Model) == "" {
		return openai.InvalidRequest("model", "missing_required_parameter", "model is required")
	}
	if !count {
		// As Chat Completions; input_tokens never streams, and counts
		// the input whatever the body says of streaming.
		if err := openai.CheckStreamOptionsNeedStream(r.StreamOptions, r.Stream); err != nil {
			return err
		}
	}
	if !count || !openai.IsNull(r.Input) {
		msgs, err := r.input(lookup)
		if err != nil {
			return err
		}
		r.messages = msgs
		var items []json.RawMessage
		if len(msgs) == 0 && (count || json.Unmarshal(r.Input, &items) != nil || len(items) == 0) {
			return openai.InvalidRequest("input", "missing_required_parameter", "input is required and must not be empty")
		}
		// As Chat Completions: something must be new for Qwen. (Items
		// that tell the model nothing, a reasoning item alone, are not.)
		if !count && !slices.ContainsFunc(msgs, func(m qp.Message) bool { return m.Role == "user" || m.Role == "tool" }) {
			return openai.InvalidRequest("input", "invalid_value", "input must contain at least one user message or function_call_output")
		}
	}
	if r.InConversation() && r.PreviousResponseID != "" {
		// As OpenAI: each names what the turn continues.
		return openai.InvalidRequest("", "mutually_exclusive_parameters",
			"Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.")
	}
	if err := checkOutputLimit(r.MaxOutputTokens); err != nil {
		return err
	}
	if r.Temperature != nil && (*r.Temperature < 0 || *r.Temperature > 2) {
		return openai.InvalidRequest("temperature", "invalid_value", "temperature must be between 0 and 2, not %g", *r.Temperature)
	}
	if r.TopP != nil && (*r.TopP < 0 || *r.TopP > 1) {
		return openai.InvalidRequest("top_p", "invalid_value", "top_p must be between 0 and 1, not %g", *r.TopP)
	}
	if err := r.checkSettings(); err != nil {
		return err
	}
	format, err := r.TextFormat()
	if err != nil {
		return err
	}
	if !count && format != nil && format.Type == "json_object" {
		if err := r.checkJSONWord(); err != nil {
			return err
		}
	}
	_, err = r.ToolSet()
	return err
}

// checkJSONWord refuses a json_object text.format whose instructions and
// input never say "json" (in any case), as OpenAI does, in its words (see
// openai.ChatRequest's check of the same). A turn continuing a stored
// response or a conversation is taken: its earlier turns, not in the body,
// may say it.
func (r *Request) checkJSONWord() *openai.Error {
	if r.PreviousResponseID != "" || r.InConversation() {
		return nil
	}
	if r.Instructions != nil && openai.MentionsJSON(*r.Instructions) {
		return nil
	}
	for _, m := range r.messages {
		if openai.MentionsJSON(m.Text) {
			return nil
		}
	}
	return openai.InvalidRequest("input", "", "Response input messages must contain the word 'json' in some form to use 'text.format' of type 'json_object'.")
}

// minOutputTokens is OpenAI's least max_output_tokens.
const minOutputTokens = 16

// checkOutputLimit holds max_output_tokens, when sent, to OpenAI's rule:
// an integer (any number without a fraction, as openai.CheckInteger takes
// one) of at least 16, refused below it in OpenAI's words and code.
func checkOutputLimit(v json.RawMessage) *openai.Error {
	const name = "max_output_tokens"
	if openai.IsNull(v) {
		return nil
	}
	if err := openai.CheckInteger(math.Inf(-1), math.MaxInt64)(name, v); err != nil {
		return err
	}
	if n, _ := openai.IntegerValue(v); n < minOutputTokens {
		return openai.InvalidRequest(name, "integer_below_min_value", "Invalid '%s': integer below minimum value. Expected a value >= %d, but got %s instead.",
			name, minOutputTokens, strconv.FormatFloat(n, 'f', -1, 64))
	}
	return nil
}

// OutputLimit is max_output_tokens, the bound on the answer's output
// tokens (0 for none, or one beyond any answer).
func (r *Request) OutputLimit() int { return openai.OutputLimit(r.MaxOutputTokens) }

// checkSettings holds reasoning's and text's settings to their values, as
// Chat Completions holds reasoning_effort and verbosity: a misspelt effort
// would otherwise pass as "thinking on", silently. (A summary of "none" is
// Codex's setting for no summary, which it may send.)
func (r *Request) checkSettings() *openai.Error {
	oneOf := func(name string, v *string, values ...string) *openai.Error {
		if v != nil && !slices.Contains(values, *v) {
			return openai.InvalidRequest(name, "invalid_value", "%s must be one of %s, not %q", name, strings.Join(values, ", "), *v)
		}
		return nil
	}
	if r.Reasoning != nil {
		if err := oneOf("reasoning.effort", r.Reasoning.Effort, openai.ReasoningEfforts...); err != nil {
			return err
		}
		if err := oneOf("reasoning.summary", r.Reasoning.Summary, "auto", "concise", "detailed", "none"); err != nil {
			return err
		}
	}
	if r.Text != nil {
		return oneOf("text.verbosity", r.Text.Verbosity, "low", "medium", "high")
	}
	return nil
}

// TextFormat reads text.format into the core's answer format: nil for text
// (or none), else what the answer must be. The Responses API lays a
// json_schema format's fields beside its type:
// {"type":"json_schema","name":…,"schema":…,"strict":…}.
func (r *Request) TextFormat() (*openai.ResponseFormat, *openai.Error) {
	if r.Text == nil || openai.IsNull(r.Text.Format) {
		return nil, nil
	}
	var f struct {
		Type        string          `json:"type"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      *bool           `json:"strict"`
	}
	if err := json.Unmarshal(r.Text.Format, &f); err != nil {
		if e := openai.FieldTypeError("text.format", r.Text.Format, err); e != nil {
			return nil, e
		}
		return nil, openai.InvalidRequest("text.format", "invalid_type",
			`text.format must be an object: {"type":"text"}, {"type":"json_object"} or {"type":"json_schema","name":…,"schema":{…}}`)
	}
	switch f.Type {
	case "text":
		return nil, nil
	case "json_object":
		return &openai.ResponseFormat{Type: f.Type}, nil
	case "json_schema":
		if openai.IsNull(f.Schema) {
			// Required here, unlike Chat Completions' json_schema.schema.
			return nil, openai.InvalidRequest("text.format.schema", "missing_required_parameter", "text.format of type json_schema needs a schema")
		}
		return openai.JSONSchemaFormat("text.format", f.Name, f.Description, f.Schema, f.Strict)
	case "": // absent or null
		return nil, openai.InvalidRequest("text.format.type", "missing_required_parameter", "text.format.type is required: text, json_object or json_schema")
	}
	return nil, openai.InvalidRequest("text.format.type", "invalid_value", "text.format.type must be text, json_object or json_schema, not %q", f.Type)
}

// ToolSet reads tools and tool_choice into the core's tool set. The
// functions of a namespace tool (Codex declares its sub-agent tools as the
// namespace multi_agent_v1) are offered to the model by their own names,
// and remember their namespace, which a call of one carries back.
func (r *Request) ToolSet() (*tools.Set, *openai.Error) {
	set := &tools.Set{Choice: tools.Choice{Mode: "auto"}}
	// Names seen, by a map: a look through the set per tool took seconds
	// of CPU for a request of tens of thousands of tools.
	declared := make(map[string]bool, len(r.Tools))
	add := func(t tools.Tool, p func(string) string) *openai.Error {
		if declared[t.Name] {
			return openai.InvalidRequest(p("name"), "invalid_value", "%q is declared twice", t.Name)
		}
		declared[t.Name] = true
		set.Tools = append(set.Tools, t)
		return nil
	}
	notOffered, err := offeredTools(r.Tools, "tools", add)
	if err != nil {
		return nil, err
	}
	// additional_tools items offer their tools from where they stand: the
	// model is offered the set in effect at the conversation's end. One
	// that declares a tool again replaces it.
	var changes []tools.Change
	for _, a := range r.additions {
		more, err := offeredTools(a.tools, a.param, func(t tools.Tool, _ func(string) string) *openai.Error {
			changes = append(changes, tools.Change{Tool: &t, Name: t.Name, Param: t.Param})
			return nil
		})
		if err != nil {
			return nil, err
		}
		notOffered = append(notOffered, more...)
	}
	if fe := set.Apply(changes); fe != nil {
		return nil, openai.InvalidRequest(fe.Param, "invalid_value", "%s %s", fe.Param, fe.Message)
	}
	if r.ForcesSearch() || r.ForcesImage() {
		return set, nil // the search or the image runs whatever the model says: the choice stays auto
	}
	if fe := set.ParseChoice(r.ToolChoice); fe != nil {
		msg := fe.Message
		if fe.Param == "tool_choice" && len(notOffered) > 0 {
			// tool_choice "required" with a misspelt function type: the
			// tool it counted on is one the model is not offered.
			msg += fmt.Sprintf(" (not offered to the model: %s; only function, custom and namespace tools are)", strings.Join(notOffered, ", "))
		}
		return nil, openai.InvalidRequest(fe.Param, cmp.Or(fe.Code, "invalid_value"), "%s %s", fe.Param, msg)
	}
	return set, nil
}

// offeredTools reads the tool declarations list (the request's tools, or
// an additional_tools item's, at param) and passes each function and
// custom tool, also a namespace's, to add. It returns the declarations not
// offered to the model: hosted tools, and types the proxy does not know.
func offeredTools(list []Tool, param string, add func(tools.Tool, func(string) string) *openai.Error) ([]string, *openai.Error) {
	var notOffered []string
	for i, t := range list {
		p := func(f string) string { return fmt.Sprintf("%s[%d].%s", param, i, f) }
		if t.Type == "" {
			return nil, openai.InvalidRequest(p("type"), "missing_required_parameter", "%s is required", p("type"))
		}
		switch t.Type {
		case "function", "custom":
			tool, err := t.flatTool(p, "")
			if err == nil {
				err = add(tool, p)
			}
			if err != nil {
				return nil, err
			}
		case "namespace":
			if strings.TrimSpace(t.Name) == "" {
				return nil, openai.InvalidRequest(p("name"), "missing_required_parameter", "%s is required", p("name"))
			}
			for j, m := range t.Tools {
				q := func(f string) string { return fmt.Sprintf("%s[%d].tools[%d].%s", param, i, j, f) }
				if m.Type != "function" && m.Type != "custom" {
					continue // as at the top level
				}
				tool, err := m.flatTool(q, t.Name)
				if err == nil {
					err = add(tool, q)
				}
				if err != nil {
					return nil, err
				}
			}
		default:
			if isWebSearch(t.Type) {
				if e := t.searchSettings(p); e != nil {
					return nil, e
				}
			}
			if t.Type == imageGeneration {
				if e := t.imageSettings(p); e != nil {
					return nil, e
				}
			}
			if t.Type == fileSearch {
				if e := t.fileSearchSettings(p); e != nil {
					return nil, e
				}
			}
			// Hosted tools (web_search, local_shell, …) are run by
			// OpenAI's servers or need their own item types: they are not
			// offered to the model, so an agent that declares them next to
			// its function tools still works. Web search is Qwen's own
			// (SearchTool).
			notOffered = append(notOffered, fmt.Sprintf("%s %q", p("type"), t.Type))
		}
	}
	return notOffered, nil
}

// flatTool is the function or custom tool t, declared at p (in namespace,
// if any), as the core's tool.
func (t Tool) flatTool(p func(string) string, namespace string) (tools.Tool, *openai.Error) {
	if t.Name == "" {
		return tools.Tool{}, openai.InvalidRequest(p("name"), "missing_required_parameter",
			`%s is required: a Responses API tool is flat, {"type":"function","name":…,"parameters":…}, not Chat Completions' {"type":"function","function":{…}}`, p("name"))
	}
	if !functionName.MatchString(t.Name) {
		return tools.Tool{}, openai.InvalidRequest(p("name"), "invalid_value", "%s must be 1-64 letters, digits, '_' or '-'", p("name"))
	}
	if t.Type == "custom" {
		grammar, fe := tools.ParseFormat(t.Format, p("format"))
		if fe != nil {
			return tools.Tool{}, openai.InvalidRequest(fe.Param, "invalid_value", "%s %s", fe.Param, fe.Message)
		}
		tool := tools.CustomTool(t.Name, t.Description, grammar, strings.TrimSuffix(p(""), "."))
		tool.Namespace = namespace
		return tool, nil
	}
	// Parameters are checked as a whole by tools.Schemas.
	return tools.Tool{Name: t.Name, Description: t.Description, Parameters: bytes.TrimSpace(t.Parameters),
		Param: p("parameters"), Namespace: namespace, Strict: t.Strict != nil && *t.Strict}, nil
}

// ForcesSearch reports whether tool_choice forces the declared web search
// tool: named ({"type":"web_search…"}), or "required" with no other tool
// declared (in tools or an additional_tools item), where the search is the
// one tool there is, as Anthropic's "any" beside its web search tool alone.
func (r *Request) ForcesSearch() bool {
	if !r.SearchTool() {
		return false
	}
	if forcesWebSearch(r.ToolChoice) {
		return true
	}
	other := func(t Tool) bool { return !isWebSearch(t.Type) }
	return string(bytes.TrimSpace(r.ToolChoice)) == `"required"` && !slices.ContainsFunc(r.Tools, other) &&
		!slices.ContainsFunc(r.additions, func(a addition) bool { return len(a.tools) > 0 })
}

// ImageTool reports whether the request declares OpenAI's hosted image
// generation tool ({"type":"image_generation"}), which Qwen's own image
// generation (its t2i chat) stands for when the turn draws: its answer is
// then an image_generation_call item. Its settings (size, quality, …) have
// no effect.
func (r *Request) ImageTool() bool {
	return slices.ContainsFunc(r.Tools, func(t Tool) bool { return t.Type == imageGeneration })
}

// ImageSize is the ratio Qwen takes nearest to the declared image
// generation tool's size ("" for auto or none).
func (r *Request) ImageSize() string {
	for _, t := range r.Tools {
		if t.Type == imageGeneration {
			return openai.ImageToolSize(t.Size)
		}
	}
	return ""
}

// imageGeneration is the hosted image generation tool's type.
const imageGeneration = "image_generation"

// ForcesImage reports whether tool_choice forces the declared image
// generation tool: named ({"type":"image_generation"}), or "required" with
// no other tool declared, as for the web search (ForcesSearch).
func (r *Request) ForcesImage() bool {
	if !r.ImageTool() {
		return false
	}
	var named struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(r.ToolChoice, &named) == nil && named.Type == imageGeneration {
		return true
	}
	other := func(t Tool) bool { return t.Type != imageGeneration }
	return string(bytes.TrimSpace(r.ToolChoice)) == `"required"` && !slices.ContainsFunc(r.Tools, other) &&
		!slices.ContainsFunc(r.additions, func(a addition) bool { return len(a.tools) > 0 })
}

// SearchOffered reports whether tool_choice leaves the declared web search
// to the model: not "none" (no tool at all), not a forced call of a
// function or custom tool, and not an allowed_tools list without it.
func (r *Request) SearchOffered() bool {
	choice := bytes.TrimSpace(r.ToolChoice)
	if string(choice) == `"none"` {
		return false
	}
	var c struct {
		Type  string     `json:"type"`
		Tools []toolType `json:"tools"`
	}
	if len(choice) == 0 || choice[0] != '{' || json.Unmarshal(choice, &c) != nil {
		return true
	}
	switch c.Type {
	case "function", "custom":
		return false
	case "allowed_tools":
		return slices.ContainsFunc(c.Tools, func(t toolType) bool { return isWebSearch(t.Type) })
	}
	return true
}

// toolType is a tool of an allowed_tools list, by its type.
type toolType struct {
	Type string `json:"type"`
}

// isWebSearch reports whether typ names OpenAI's hosted web search tool.
func isWebSearch(typ string) bool {
	return typ == "web_search" || strings.HasPrefix(typ, "web_search_")
}

// forcesWebSearch reports whether choice is {"type":"web_search…"}.
func forcesWebSearch(choice json.RawMessage) bool {
	var named struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(choice, &named) == nil && isWebSearch(named.Type)
}

// SearchTool reports whether the request declares OpenAI's hosted web
// search tool (web_search, web_search_preview and their dated names),
// which Qwen's own web search stands for. Its settings (filters,
// search_context_size, user_location) have no effect.
func (r *Request) SearchTool() bool {
	return slices.ContainsFunc(r.Tools, func(t Tool) bool { return isWebSearch(t.Type) })
}

// Conversation translates a validated request into the core's
// conversation: the instructions first, then the input items. A function
// call joins the assistant message before it (one answer's text and calls
// are one message), its output becomes a tool message, and reasoning items
// are dropped (Qwen keeps its own).
//
// The instructions are the response's system prompt (OpenAI: they apply to
// it, not carried over by previous_response_id), stated to the chat when
// they differ from what it was last told, as a changed system prompt is in
// Chat Completions. A system or developer message of the input is a
// conversation item: in a turn that continues a response or a conversation
// that has answered (Answered), it comes after those answers, so it is
// marked Continued, told with its turn as a Chat Completions system
// message after the first answer is — not taken for the chat's system
// prompt (until 2026-12-06 it replaced it).
func (r *Request) Conversation() []qp.Message {
	var out []qp.Message
	if r.Instructions != nil && strings.TrimSpace(*r.Instructions) != "" {
		out = append(out, qp.Message{Role: "system", Text: *r.Instructions})
	}
	msgs := r.messages
	if msgs == nil {
		msgs, _ = r.input(nil)
	}
	start := len(out)
	out = append(out, msgs...)
	if r.PreviousResponseID != "" || r.Answered {
		for i := start; i < len(out); i++ {
			if out[i].Role == "system" || out[i].Role == "developer" {
				out[i].Continued = true
			}
		}
	}
	return out
}

func (r *Request) input(lookup ItemLookup) ([]qp.Message, *openai.Error) {
	r.additions = r.additions[:0]
	raw := bytes.TrimSpace(r.Input)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, openai.InvalidRequest("input", "missing_required_parameter", "input is required")
	}
	if s, ok := jsonscan.StringValue(raw); ok {
		if strings.TrimSpace(s) == "" {
			return nil, openai.InvalidRequest("input", "invalid_value", "input must not be empty")
		}
		return []qp.Message{{Role: "user", Text: s}}, nil
	}
	items, err := r.Items()
	if err != nil {
		return nil, err
	}
	if !r.Gathered {
		if err := distinctIDs(items); err != nil {
			return nil, err
		}
	}
	var out []qp.Message
	compacted := -1 // len(out) after the last compaction item's summary
	for i, it := range items {
		p := func(f string) string { return fmt.Sprintf("input[%d].%s", i, f) }
		if it.Reference() {
			stored, err := resolveReference(it.ID, p("id"), lookup)
			if err != nil {
				return nil, err
			}
			it = *stored
		}
		switch it.Type {
		case "", "message":
			switch it.Role {
			case "user", "assistant", "system", "developer":
			case "": // absent or null
				return nil, openai.InvalidRequest(p("role"), "missing_required_parameter", "%s is required (user, assistant, system or developer)", p("role"))
			default:
				return nil, openai.InvalidRequest(p("role"), "invalid_value", "%s must be user, assistant, system or developer, not %q", p("role"), it.Role)
			}
			text, breaks, images, docs, err := partsContent(it.Content, p("content"), it.Role == "user")
			if err != nil {
				return nil, err
			}
			if it.Role == "user" && strings.TrimSpace(text) == "" && len(images) == 0 && len(docs) == 0 {
				// As a blank string input: a turn with nothing to say.
				return nil, openai.InvalidRequest(p("content"), "invalid_value", "%s must not be empty", p("content"))
			}
			if len(images) > 0 || len(docs) > 0 {
				out = append(out, qp.Message{Role: it.Role, Text: text, Images: images, Documents: docs})
				continue
			}
			if n := len(out); it.Role == "assistant" && n > 0 && out[n-1].Role == "assistant" {
				// One answer's message items (split by its calls) are
				// one text, as the proxy gave it.
				for _, at := range breaks {
					out[n-1].PartBreaks = append(out[n-1].PartBreaks, len(out[n-1].Text)+at)
				}
				out[n-1].Text += text
				continue
			}
			out = append(out, qp.Message{Role: it.Role, Text: text, PartBreaks: breaks})
		case "function_call":
			if f := missing(it.CallID, "call_id", it.Name, "name"); f != "" {
				return nil, openai.InvalidRequest(p(f), "missing_required_parameter", "input[%d]: a function_call needs call_id and name; %s is missing", i, f)
			}
			args := it.Arguments
			if canonical, ok := tools.CompactObject([]byte(args)); ok {
				args = canonical
			}
			call := qp.ToolCall{ID: it.CallID, Name: it.Name, Arguments: args}
			if n := len(out); n > 0 && out[n-1].Role == "assistant" {
				out[n-1].ToolCalls = append(out[n-1].ToolCalls, call)
			} else {
				out = append(out, qp.Message{Role: "assistant", ToolCalls: []qp.ToolCall{call}})
			}
		case "custom_tool_call":
			if f := missing(it.CallID, "call_id", it.Name, "name"); f != "" {
				return nil, openai.InvalidRequest(p(f), "missing_required_parameter", "input[%d]: a custom_tool_call needs call_id and name; %s is missing", i, f)
			}
			// Told to Qwen, and keyed, as the function of one string the
			// tool was offered as (tools.CustomTool).
			call := qp.ToolCall{ID: it.CallID, Name: it.Name, Arguments: tools.CustomArguments(it.Input), Custom: true}
			if n := len(out); n > 0 && out[n-1].Role == "assistant" {
				out[n-1].ToolCalls = append(out[n-1].ToolCalls, call)
			} else {
				out = append(out, qp.Message{Role: "assistant", ToolCalls: []qp.ToolCall{call}})
			}
		case "function_call_output", "custom_tool_call_output":
			if it.CallID == "" {
				return nil, openai.InvalidRequest(p("call_id"), "missing_required_parameter", "input[%d]: a %s needs call_id", i, it.Type)
			}
			if openai.IsNull(it.Output) { // absent or null; "" is an output (the call printed nothing)
				return nil, openai.InvalidRequest(p("output"), "missing_required_parameter", "input[%d]: a %s needs output (a string or a list of content parts)", i, it.Type)
			}
			// Its output may show images (Codex's view_image): they go to
			// Qwen as a user message's do.
			text, _, images, docs, err := partsContent(it.Output, p("output"), true)
			if err != nil {
				return nil, err
			}
			out = append(out, qp.Message{Role: "tool", ToolCallID: it.CallID, Text: text, Images: images, Documents: docs})
		case "additional_tools":
			// Tools offered from here on (ToolSet); nothing the model reads
			// as a message, and not keyed: a resent conversation finds its
			// session as without it.
			if it.Role != "developer" {
				return nil, openai.InvalidRequest(p("role"), "invalid_value", "%s must be developer, the only role that provides additional tools, not %q", p("role"), it.Role)
			}
			if openai.IsNull(it.Tools) {
				return nil, openai.InvalidRequest(p("tools"), "missing_required_parameter", "%s is required: the tools this item makes available", p("tools"))
			}
			var list []Tool
			if !decodeTools(it.Tools, &list) {
				if err := json.Unmarshal(it.Tools, &list); err != nil {
					return nil, openai.TypeError(p("tools"), "a list of tools", it.Tools)
				}
			}
			r.additions = append(r.additions, addition{param: fmt.Sprintf("input[%d].tools", i), tools: list})
		case "reasoning":
			// Not read (Qwen keeps its own reasoning), but held to its type.
			if sum := bytes.TrimSpace(it.Summary); len(sum) > 0 && sum[0] != '[' && !openai.IsNull(sum) {
				return nil, openai.TypeError(p("summary"), "an array of summary parts", sum)
			}
		case "image_generation_call":
			// A picture the assistant made (here, or at OpenAI): the model
			// is told it was made, as the answer that was one is keyed.
			if n := len(out); n > 0 && out[n-1].Role == "assistant" && out[n-1].Text != "" {
				out[n-1].Text += "\n\n" + ImageCallText + "\n\n"
			} else {
				out = append(out, qp.Message{Role: "assistant", Text: ImageCallText + "\n\n"})
			}
		case "compaction":
			// The summary POST /v1/responses/compact made stands for the
			// items it replaced: the assistant's text, as the compacted
			// conversation is keyed (a blank one tells nothing).
			if it.EncryptedContent == nil {
				return nil, openai.InvalidRequest(p("encrypted_content"), "missing_required_parameter", "%s is required for a compaction item", p("encrypted_content"))
			}
			summary, err := DecodeCompaction(*it.EncryptedContent, p("encrypted_content"))
			if err != nil {
				return nil, err
			}
			if strings.TrimSpace(summary) == "" {
				continue
			}
			if n := len(out); n > 0 && out[n-1].Role == "assistant" {
				out[n-1].Text += "\n\n" + summary
			} else {
				out = append(out, qp.Message{Role: "assistant", Text: summary})
			}
			compacted = len(out)
		case "web_search_call", "file_search_call", "code_interpreter_call", "mcp_list_tools", "mcp_call":
			// What OpenAI's hosted tools leave in a conversation begun at
			// OpenAI: their calls ran there, with their results in the
			// item. Taken and not read, as Anthropic's server tool blocks
			// are; the model is told the answer's text around them.
		default:
			return nil, openai.InvalidRequest(p("type"), "unsupported_value",
				"%s: %q items are not supported (message, function_call, function_call_output, custom_tool_call, custom_tool_call_output, additional_tools, reasoning, compaction, item_reference and the hosted tools' calls — web_search_call, image_generation_call, file_search_call, code_interpreter_call, mcp_list_tools, mcp_call — are)", p("type"), it.Type)
		}
	}
	if compacted > 0 && compacted == len(out) && !r.compacting {
		// Nothing new after the summary: the model is asked to go on from
		// it, as after Anthropic's compaction block.
		out = append(out, qp.Message{Role: "user", Text: GoOnAsk})
	}
	return out, nil
}

// resolveReference is the stored item an item_reference names, or OpenAI's
// 400 when there is none.
func resolveReference(id, param string, lookup ItemLookup) (*Item, *openai.Error) {
	if id == "" {
		return nil, openai.InvalidRequest(param, "missing_required_parameter", "%s is required for an item_reference", param)
	}
	var stored *Item
	if lookup != nil {
		var err *openai.Error
		if stored, err = lookup(id); err != nil {
			return nil, err
		}
	}
	if stored == nil || stored.Reference() {
		return nil, openai.InvalidRequest(param, "invalid_value",
			"Item with id '%s' not found: an item_reference names an item of a response (or a compacted response) stored by this proxy for your key (store not false, not deleted, recorded with its bodies), or an item added to one of your key's conversations, by the id this proxy listed it under; an id a client gave its item is looked for along previous_response_id, in the request's conversation, among the responses your key stored and among the items added to your key's conversations", id)
	}
	return stored, nil
}

// Items decodes input given as a list of items (nil for a string input).
func (r *Request) Items() ([]Item, *openai.Error) {
	raw := bytes.TrimSpace(r.Input)
	if len(raw) > 0 && raw[0] == '"' {
		return nil, nil
	}
	items, ok := decodeItemsInPlace(raw)
	if !ok && json.Unmarshal(raw, &items) != nil {
		return nil, itemTypeError(raw)
	}
	return items, nil
}

// itemTypeError is the 400 for a list of items that does not decode: the
// field of the first item whose value has the wrong JSON type, by its
// path ({"role": 1} is input[0].role), or input itself when it is not a
// list of objects.
func itemTypeError(raw []byte) *openai.Error {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		for i, el := range list {
			p := fmt.Sprintf("input[%d]", i)
			if el = bytes.TrimSpace(el); len(el) == 0 || el[0] != '{' {
				return openai.TypeError(p, "an item (an object)", el)
			}
			var it Item
			if err := openai.FieldTypeError(p, el, json.Unmarshal(el, &it)); err != nil {
				return err
			}
		}
	}
	return openai.TypeError("input", "a string or a list of items", raw)
}

// part is a content part of a message or of a call's output, as far as it
// is read.
type part struct {
	Type     string  `json:"type"`
	Text     *string `json:"text"`
	Refusal  *string `json:"refusal"`
	ImageURL string  `json:"image_url"`
	Detail   string  `json:"detail"` // an image's: any string, without effect (type-checked, as Chat Completions checks it)
	FileData string  `json:"file_data"`
	Filename string  `json:"filename"`
	FileID   string  `json:"file_id"`
	FileURL  string  `json:"file_url"`
}

// decodeParts decodes a list of content parts, in place when it can, else
// by encoding/json, whose PartError names a field of the wrong type.
func decodeParts(raw json.RawMessage) ([]part, error) {
	if parts, ok := decodePartsInPlace(raw); ok {
		return parts, nil
	}
	return openai.DecodeParts[part](raw)
}

// missing names the first of a required field's value and name pairs whose
// value is empty, or "".
func missing(pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == "" {
			return pairs[i+1]
		}
	}
	return ""
}

// partsText is a content or output value: a string, or parts whose text is
// joined by newlines. Images and files cannot go in here and are refused.
func partsText(raw json.RawMessage, param string) (string, *openai.Error) {
	text, _, _, _, err := partsContent(raw, param, false)
	return text, err
}

// partsContent is partsText that, with images (a user message, a
// function_call_output), also takes input_image parts
// (an image_url that is a data: URL or an http(s) URL) and returns them,
// each named by its field, and input_file parts (file_data, a data: URL,
// or file_url, an http(s) URL, and filename) and returns them as
// documents. The parts' text is joined by newlines, which stand at breaks
// (qp.JoinTextParts).
func partsContent(raw json.RawMessage, param string, images bool) (string, []int, []qp.Image, []qp.Document, *openai.Error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil, nil, nil, nil
	}
	if s, ok := jsonscan.StringValue(raw); ok {
		return s, nil, nil, nil, nil
	}
	parts, err := decodeParts(raw)
	if pe := (*openai.PartError)(nil); errors.As(err, &pe) {
		return "", nil, nil, nil, openai.InvalidRequest(fmt.Sprintf("%s[%d].%s", param, pe.Index, pe.Field), "invalid_type",
			"%s[%d].%s must be %s, not %s", param, pe.Index, pe.Field, pe.Want, pe.Given())
	}
	if err != nil {
		var list []json.RawMessage
		_ = json.Unmarshal(raw, &list) // valid JSON: an array, or not a list at all
		for j, el := range list {
			if len(el) == 0 || el[0] != '{' {
				return "", nil, nil, nil, openai.TypeError(fmt.Sprintf("%s[%d]", param, j), "a content part (an object)", el)
			}
		}
		return "", nil, nil, nil, openai.TypeError(param, "a string or a list of content parts", raw)
	}
	var texts []string
	var imgs []qp.Image
	var docs []qp.Document
	for j, part := range parts {
		switch {
		case (part.Type == "input_text" || part.Type == "output_text" || part.Type == "text") && part.Text != nil:
			texts = append(texts, *part.Text)
		case part.Type == "refusal" && part.Refusal != nil:
			texts = append(texts, *part.Refusal)
		case part.Type == "input_text" || part.Type == "output_text" || part.Type == "text" || part.Type == "refusal":
			field := "text"
			if part.Type == "refusal" {
				field = "refusal"
			}
			return "", nil, nil, nil, openai.InvalidRequest(fmt.Sprintf("%s[%d].%s", param, j, field), "missing_required_parameter",
				"%s[%d] (type %q) is missing its %s field", param, j, part.Type, field)
		case part.Type == "input_image" && images && isRecordRef(part.ImageURL),
			part.Type == "input_file" && images && isRecordRef(part.FileData):
			// The proxy's own listing sent back (a client keeping its
			// history in a conversation): the bytes are gone, so the
			// part is told as not kept, as a rebuilt conversation tells it.
			ref := part.ImageURL
			if part.Type == "input_file" {
				ref = part.FileData
			}
			what, _ := RecordRef(ref)
			texts = append(texts, NotKept(what))
		case part.Type == "input_image" && images && maskedURL(part.ImageURL),
			part.Type == "input_file" && images && part.FileData == "" && maskedURL(part.FileURL):
			// A URL the proxy kept without its credentials (a
			// conversation's item, its listing sent back): fetched so it
			// would fail, so it is told as not kept, as a rebuilt
			// conversation tells it.
			what := "image"
			if part.Type == "input_file" {
				what = "document"
			}
			texts = append(texts, NotKept(what))
		case part.Type == "input_image" && images && part.ImageURL == "" && part.FileID != "":
			return "", nil, nil, nil, openai.InvalidRequest(fmt.Sprintf("%s[%d].file_id", param, j), "invalid_image",
				"%s[%d].file_id is not supported (the proxy has no Files API); send the image as image_url, a data: URL (data:image/png;base64,…) or an http(s) URL", param, j)
		case part.Type == "input_image" && images && part.ImageURL == "":
			return "", nil, nil, nil, openai.InvalidRequest(fmt.Sprintf("%s[%d].image_url", param, j), "missing_required_parameter",
				"%s[%d].image_url is required: the image as a data: URL or an http(s) URL", param, j)
		case part.Type == "input_image" && images:
			u := part.ImageURL
			if !qp.IsDataURL(u) && !qp.IsWebURL(u) {
				return "", nil, nil, nil, openai.InvalidRequest(fmt.Sprintf("%s[%d].image_url", param, j), "invalid_value",
					"%s[%d].image_url must be a data: URL or an http(s) URL", param, j)
			}
			imgs = append(imgs, qp.Image{URL: u, Param: fmt.Sprintf("%s[%d].image_url", param, j)})
		case part.Type == "input_file" && images && part.FileData == "" && part.FileURL != "":
			// Fetched by the server when ALLOW_IMAGE_URLS allows it.
			if !qp.IsWebURL(part.FileURL) {
				return "", nil, nil, nil, openai.InvalidRequest(fmt.Sprintf("%s[%d].file_url", param, j), "invalid_document",
					"%s[%d].file_url must be an http(s) URL of the document", param, j)
			}
			docs = append(docs, qp.Document{Name: part.Filename, URL: part.FileURL, Param: fmt.Sprintf("%s[%d].file_url", param, j)})
		case part.Type == "input_file" && images && part.FileData == "" && part.FileID != "":
			return "", nil, nil, nil, openai.InvalidRequest(fmt.Sprintf("%s[%d].file_id", param, j), "invalid_document",
				"%s[%d].file_id is not supported (the proxy has no Files API); send the document as file_data, a data: URL (data:application/pdf;base64,…), or file_url, an http(s) URL", param, j)
		case part.Type == "input_file" && images:
			if !qp.IsDataURL(part.FileData) {
				return "", nil, nil, nil, openai.InvalidRequest(fmt.Sprintf("%s[%d].file_data", param, j), "invalid_document",
					"%s[%d].file_data must be a data: URL of the document (data:application/pdf;base64,…), or file_url an http(s) URL; file_id is not supported", param, j)
			}
			docs = append(docs, qp.Document{Name: part.Filename, URL: part.FileData, Param: fmt.Sprintf("%s[%d].file_data", param, j)})
		case part.Type == "": // absent or null
			return "", nil, nil, nil, openai.InvalidRequest(fmt.Sprintf("%s[%d].type", param, j), "missing_required_parameter",
				"%s[%d].type is required: input_text, input_image or input_file (output_text or refusal in assistant messages)", param, j)
		default:
			return "", nil, nil, nil, openai.InvalidRequest(fmt.Sprintf("%s[%d].type", param, j), "unsupported_value",
				"%s[%d] has type %q; only text parts (and input_image and input_file in user messages and function_call_output) are supported", param, j, part.Type)
		}
	}
	text, breaks := qp.JoinTextParts(texts)
	return text, breaks, imgs, docs, nil
}
