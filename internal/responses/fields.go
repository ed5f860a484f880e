package responses

import "qwenproxy/internal/openai"

// Fields are the policies of the Responses API's top-level fields, for the
// record: those the proxy reads, and those it accepts without effect, which
// a call's record names in ignored_params, as it names any field not here.
// Their values are checked by Request.Validate, not by these entries (no
// Check), but those of the refused ones: a conversation or a stored prompt
// lives on OpenAI's platform, and ignoring either would answer without the
// context or instructions the caller meant.
var Fields = []openai.Field{
	{Name: "model", Policy: openai.Honoured, Doc: "the Qwen model, `MODEL_MAP` applied (default `DEFAULT_MODEL`)"},
	{Name: "input", Policy: openai.Honoured, Doc: "a string or input items: messages, `function_call`, `function_call_output`, `item_reference` (`reasoning` items dropped)"},
	{Name: "instructions", Policy: openai.Honoured, Doc: "the system prompt"},
	{Name: "tools", Policy: openai.Honoured, Doc: "function tools, emulated, also a `namespace` tool's (a call of one carries its `namespace`); hosted tools are not offered to the model"},
	{Name: "tool_choice", Policy: openai.Honoured, Doc: "`none`/`auto`/`required`/a named function/`allowed_tools`, emulated"},
	{Name: "parallel_tool_calls", Policy: openai.Honoured, Doc: "`false`: only an answer's first call is kept"},
	{Name: "text", Policy: openai.Honoured, Doc: "`format`: `text`, `json_object` or `json_schema`, emulated as `response_format`"},
	{Name: "reasoning", Policy: openai.Honoured, Doc: "`effort` other than `none`/`minimal` turns on thinking"},
	{Name: "stream", Policy: openai.Honoured, Doc: "the semantic event stream"},
	{Name: "store", Policy: openai.Honoured, Doc: "`false`: the response is not served by `GET /v1/responses/{id}`"},
	{Name: "previous_response_id", Policy: openai.Honoured, Doc: "continues that response's Qwen chat"},
	{Name: "max_output_tokens", Policy: openai.Ignored, Doc: "at least 1; echoed, Qwen decides the length"},
	{Name: "temperature", Policy: openai.Ignored, Doc: "0 to 2"},
	{Name: "top_p", Policy: openai.Ignored, Doc: "0 to 1"},
	{Name: "metadata", Policy: openai.Ignored, Doc: "echoed"},
	{Name: "include", Policy: openai.Ignored, Doc: "a list of strings"},
	{Name: "conversation", Policy: openai.Refused, Check: openai.Refuse("the proxy keeps no Conversations API objects; continue with previous_response_id, or send the history in input"),
		Doc: "a 400: no Conversations API here; `previous_response_id` or the history in `input` continue a conversation"},
	{Name: "prompt", Policy: openai.Refused, Check: openai.Refuse("stored prompts live on OpenAI's platform; send the text as instructions"),
		Doc: "a 400: no stored prompts here; send `instructions`"},
}
