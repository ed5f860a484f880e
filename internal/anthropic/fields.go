package anthropic

import "qwenproxy/internal/openai"

// Fields are the policies of the Messages API's top-level fields, for the
// record: those the proxy reads, and those it accepts without effect, which
// a call's record names in ignored_params, as it names any field not here.
// Their values are checked by Request.Validate, not by these entries (no
// Check): none is refused here.
var Fields = []openai.Field{
	{Name: "model", Policy: openai.Honoured, Doc: "the Qwen model, `MODEL_MAP` applied (default `DEFAULT_MODEL`)"},
	{Name: "messages", Policy: openai.Honoured, Doc: "text, image, plain-text `document`, `tool_use`, `tool_result` and `thinking` blocks"},
	{Name: "system", Policy: openai.Honoured, Doc: "a string or text blocks, the system prompt"},
	{Name: "tools", Policy: openai.Honoured, Doc: "client tools, emulated; server tools are a 400"},
	{Name: "tool_choice", Policy: openai.Honoured, Doc: "`auto`/`any`/`tool`/`none`, emulated; `disable_parallel_tool_use` keeps an answer's first call only"},
	{Name: "thinking", Policy: openai.Honoured, Doc: "`enabled` or `adaptive` turns on thinking"},
	{Name: "stop_sequences", Policy: openai.Honoured, Doc: "the answer ends before the first of them"},
	{Name: "stream", Policy: openai.Honoured, Doc: "Anthropic's event stream"},
	{Name: "output_config", Policy: openai.Honoured, Doc: "`format` (`json_schema`, structured outputs): emulated as `response_format`; `effort` ignored"},
	{Name: "output_format", Policy: openai.Honoured, Doc: "the beta form of `output_config.format`"},
	{Name: "max_tokens", Policy: openai.Ignored, Doc: "required, at least 1; Qwen decides the length"},
	{Name: "temperature", Policy: openai.Ignored, Doc: "0 to 1"},
	{Name: "top_p", Policy: openai.Ignored, Doc: "0 to 1"},
	{Name: "top_k", Policy: openai.Ignored, Doc: "an integer"},
	{Name: "metadata", Policy: openai.Ignored, Doc: "`user_id`"},
}
