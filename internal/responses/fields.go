package responses

import (
	"bytes"
	"encoding/json"
	"math"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/typeerror"
)

// Fields are the policies of the Responses API's top-level fields, for the
// record: those the proxy reads, and those it accepts without effect, which
// a call's record names in ignored_params, as it names any field not here.
// The values of the fields the proxy reads are checked by Request.Validate;
// the others' by these entries' Check, held to Chat Completions' rules for
// the fields both APIs take. A conversation, a stored prompt or moderation
// lives on OpenAI's platform, and ignoring one would answer without the
// context, instructions or checks the caller meant; log probabilities Qwen
// never gives. Every field of openai-go v3.98.0's ResponseNewParams is here.
var Fields = []openai.Field{
	{Name: "model", Policy: openai.Honoured, Check: openai.CheckModel, Doc: "required: the Qwen model, `MODEL_MAP` applied (a `gpt-*`, `chatgpt-*`, `claude-*` or `dall-e-*` name it does not map is `DEFAULT_MODEL`)"},
	{Name: "input", Policy: openai.Honoured, Doc: "a string or input items: messages, `function_call`, `function_call_output`, `custom_tool_call`, `custom_tool_call_output`, `item_reference` (to an item of a stored response or compacted response, or of a conversation, by the id the proxy listed it under or the one its client gave it), `additional_tools` (its tools offered from where it stands; `reasoning` items dropped, as are the hosted tools' calls of a conversation begun at OpenAI: `web_search_call`, …; an `image_generation_call` is told as `[an image, generated]`), `compaction` (made by `POST /v1/responses/compact`: its summary stands for the items it replaced)"},
	{Name: "instructions", Policy: openai.Honoured, Doc: "the response's system prompt (see below: a `developer` or `system` message in `input` is not, on a continuing turn)"},
	{Name: "tools", Policy: openai.Honoured, Doc: "function and custom tools, emulated (a `strict` function's calls validated against its parameters), also a `namespace` tool's (a call of one carries its `namespace`); `web_search` lets Qwen search on its own (`auto_search`) where the model has it; `image_generation`, forced by `tool_choice` or beside an `-image` model, has Qwen draw the answer as an `image_generation_call` (its settings checked, its `size` sent); other hosted tools are not offered to the model (`file_search`'s `max_num_results` checked, an integer from 1 to 50)"},
	{Name: "tool_choice", Policy: openai.Honoured, Doc: "`none`/`auto`/`required`/a named function or custom tool/`allowed_tools`, emulated; the declared web search tool (`{\"type\":\"web_search\"}`, or `required` with no other tool declared): the turn searches"},
	{Name: "parallel_tool_calls", Policy: openai.Honoured, Doc: "`false`: only an answer's first call is kept"},
	{Name: "text", Policy: openai.Honoured, Doc: "`format`: `text`, `json_object` or `json_schema`, emulated as `response_format` (`json_object` needs the word \"json\", in any case, in `instructions` or `input`, as OpenAI does — else a 400 at `input` in OpenAI's words, until 2026-12-06 sent to Qwen — but for a turn continuing a `previous_response_id` or a `conversation`, whose earlier turns may say it); `verbosity` (`low`, `medium`, `high`) checked, no effect"},
	{Name: "reasoning", Policy: openai.Honoured, Doc: "`effort` (one of OpenAI's) other than `none`/`minimal` turns on thinking; `summary` `auto`, `concise` or `detailed` (the thinking as a reasoning item's summary, which Qwen's summary-form thinking is, whatever the setting) or `none` (no reasoning item; the model still thinks)"},
	{Name: "stream", Policy: openai.Honoured, Doc: "the semantic event stream"},
	{Name: "store", Policy: openai.Honoured, Doc: "`false`: the response is not served by `GET /v1/responses/{id}` — unless it ran in the `background`, which OpenAI keeps for its polling: then for 10 minutes"},
	{Name: "previous_response_id", Policy: openai.Honoured, Doc: "continues that response's Qwen chat; when the chat's latest turn was asked from it (a retry of a call answered meanwhile, a regenerate), asks again in the same chat under it; branches off from it when the chat has answered further past it (see Threading below)"},
	{Name: "max_output_tokens", Policy: openai.Honoured, Doc: "at least 16, OpenAI's least (below it a 400 `integer_below_min_value`, in OpenAI's words), and at most the model's most output tokens when Qwen's model list gives them (`max_generation_length`; above it a 400 in OpenAI's words, see Output limits), echoed: the answer ends with the piece at which Qwen's count of output tokens (reasoning included) reaches it, `status: \"incomplete\"`, `incomplete_details.reason: \"max_output_tokens\"` (`response.incomplete` streamed); Qwen's answer is still read to its end (see Output limits)"},
	{Name: "temperature", Policy: openai.Ignored, Doc: "0 to 2; echoed (null when not sent)"},
	{Name: "top_p", Policy: openai.Ignored, Doc: "0 to 1; echoed (null when not sent)"},
	{Name: "metadata", Policy: openai.Ignored, Check: openai.CheckMetadata, Doc: "up to 16 string pairs; echoed"},
	{Name: "include", Policy: openai.Honoured, Check: openai.CheckStringList(noLogprobsIncluded),
		Doc: "a list of strings; `web_search_call.action.sources` gives each `web_search_call` item the pages its search found; `message.output_text.logprobs` is a 400: Qwen gives no log probabilities; the others have no effect"},
	{Name: "user", Policy: openai.Ignored, Check: openai.CheckString(512), Doc: "a string; echoed (null when not sent)"},
	{Name: "safety_identifier", Policy: openai.Ignored, Check: openai.CheckString(128), Doc: "a string of at most 128; echoed (null when not sent)"},
	{Name: "prompt_cache_key", Policy: openai.Ignored, Check: openai.CheckString(1024), Doc: "a string; echoed (null when not sent)"},
	{Name: "prompt_cache_retention", Policy: openai.Ignored, Check: openai.CheckEnum("in_memory", "24h"), Doc: "`in_memory` or `24h`; echoed (null when not sent)"},
	{Name: "prompt_cache_options", Policy: openai.Ignored, Check: openai.CheckObject, Doc: "an object"},
	{Name: "service_tier", Policy: openai.Ignored, Check: openai.CheckEnum(openai.ServiceTiers...), Doc: "one of OpenAI's tiers; the response says `default`, the tier that served it"},
	{Name: "stream_options", Policy: openai.Ignored, Check: openai.CheckStreamOptions, Doc: "`include_obfuscation`, a boolean, no effect; without `\"stream\": true` a 400 at `stream_options`, in OpenAI's words, as for chat (until 2026-12-06 taken)"},
	{Name: "background", Policy: openai.Ignored, Check: openai.CheckBoolean, Doc: "a boolean, echoed; the answer is given in the call, as it would be without it (not `queued` at once: no response runs in the background here), `completed`, as polling would find it (one made with `store: false` is still served for 10 minutes, for that polling); while the call runs, `GET` serves it `in_progress` (see below)"},
	{Name: "truncation", Policy: openai.Ignored, Check: openai.CheckEnum("auto", "disabled"), Doc: "`auto` or `disabled`, echoed (`disabled` when not sent); Qwen keeps its chat's context itself"},
	{Name: "context_management", Policy: openai.Ignored, Check: openai.CheckArray, Doc: "a list; Qwen keeps its chat's context itself"},
	{Name: "max_tool_calls", Policy: openai.Ignored, Check: openai.CheckInteger(1, math.MaxInt64), Doc: "at least 1, echoed as an integer (null when not sent); it bounds hosted tools' calls, and Qwen decides how often it searches"},
	{Name: "access_programs", Policy: openai.Ignored, Check: openai.CheckObject, Doc: "an object"},
	{Name: "image", Policy: openai.Ignored, Check: openai.CheckObject, Doc: "an object; Qwen decides how it draws"},
	{Name: "top_logprobs", Policy: openai.Refused, Check: openai.CheckTopLogprobs, Doc: "0–20, echoed as an integer (0 when not sent); anything but 0 is a 400: Qwen gives no log probabilities"},
	{Name: "moderation", Policy: openai.Refused, Check: openai.Refuse("the proxy does not moderate input or output"), Doc: "a 400: the proxy cannot moderate"},
	{Name: "conversation", Policy: openai.Honoured, Check: checkConversation,
		Doc: "a conversation's id (`conv_…`), or `{\"id\": …}`: the turn continues the conversation's Qwen chat (after the items added since its last response) and is added to it; not with `previous_response_id`; see [Conversations API](#conversations-api)"},
	{Name: "prompt", Policy: openai.Refused, Check: openai.Refuse("stored prompts live on OpenAI's platform; send the text as instructions"),
		Doc: "a 400: no stored prompts here; send `instructions`"},
}

// checkConversation holds conversation to its two forms: a conversation's
// id, or an object naming it. One of those forms naming none (an empty
// string, an object without its id) is told so, under the field's name: it
// was told it must be a string (or an object), not one.
func checkConversation(name string, v json.RawMessage) *openai.Error {
	if openai.IsNull(v) {
		return nil
	}
	if _, ok := ConversationID(v); ok {
		return nil
	}
	switch t := bytes.TrimSpace(v); t[0] {
	case '"':
		return openai.InvalidRequest(name, "empty_string", "%s must not be empty: send a conversation's id (conv_…), or leave it out", name)
	case '{':
		var obj struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(t, &obj) == nil {
			var id string
			switch {
			case openai.IsNull(obj.ID):
				return openai.InvalidRequest(name, "missing_required_parameter", "%s.id is required: the conversation's id (conv_…)", name)
			case json.Unmarshal(obj.ID, &id) == nil: // "": ConversationID took any other
				return openai.InvalidRequest(name, "empty_string", "%s.id must not be empty: send a conversation's id (conv_…)", name)
			default:
				return openai.InvalidRequest(name, "invalid_type", "%s.id must be a string, not %s", name, typeerror.Value(obj.ID))
			}
		}
	}
	return openai.TypeError(name, "a conversation id (a string) or an object with its id", v)
}

// ConversationID is the id a request's conversation names: the string, or
// the object's id; ok is false for anything else, or an empty id.
func ConversationID(v json.RawMessage) (string, bool) {
	var id string
	if json.Unmarshal(v, &id) == nil {
		return id, id != ""
	}
	var obj struct {
		ID *string `json:"id"`
	}
	if json.Unmarshal(v, &obj) != nil || obj.ID == nil || len(bytes.TrimSpace(v)) == 0 || bytes.TrimSpace(v)[0] != '{' {
		return "", false
	}
	return *obj.ID, *obj.ID != ""
}

// noLogprobsIncluded refuses include's request for the answer's log
// probabilities, as Chat Completions refuses logprobs: the answer would
// come without them, unexplained.
func noLogprobsIncluded(name, s string) *openai.Error {
	if s == "message.output_text.logprobs" {
		return openai.InvalidRequest(name, "unsupported_value", "%s %q is not supported: Qwen does not return log probabilities", name, s)
	}
	return nil
}
