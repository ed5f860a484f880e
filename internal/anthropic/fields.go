package anthropic

import "qwenproxy/internal/openai"

// Fields are the policies of the Messages API's top-level fields, for the
// record: those the proxy reads, and those it accepts without effect, which
// a call's record names in ignored_params, as it names any field not here.
// The values of the fields the proxy reads are checked by Request.Validate;
// the others' by these entries' Check, so that a malformed value is a 400
// as Anthropic gives it. MCP servers are refused: their tools would be
// missing from the answer without a word, as a server tool's would.
// Every field of @anthropic-ai/sdk 1.14's MessageCreateParams is here, and
// the beta's mcp_servers, context_management, thread and compaction.
var Fields = []openai.Field{
	{Name: "model", Policy: openai.Honoured, Check: model, Doc: "required: the Qwen model, `MODEL_MAP` applied (a `gpt-*`, `chatgpt-*`, `claude-*` or `dall-e-*` name it does not map is `DEFAULT_MODEL`)"},
	{Name: "messages", Policy: openai.Honoured, Doc: "text, image, plain-text `document`, `search_result`, `tool_use`, `tool_result` and `thinking` blocks (an assistant's server tool blocks from Anthropic are taken, not read); `role: \"system\"` messages with text, `tool_addition` and `tool_removal` blocks (beta inline tools: the tool set changes from where they stand)"},
	{Name: "system", Policy: openai.Honoured, Doc: "a string or text blocks, the system prompt"},
	{Name: "tools", Policy: openai.Honoured, Doc: "client tools, emulated (a `strict` one's calls validated against its `input_schema`), also Anthropic's `bash_…`, `text_editor_…` and `memory_…` (given their schema; the editor's `max_characters`, taken from `text_editor_20250728` on, is checked, an integer of at least 1, without effect); the `web_search_…` server tool lets Qwen search on its own (`auto_search`; forced by `tool_choice`, the turn searches); the tool search tools (`tool_search_tool_regex_…`, `tool_search_tool_bm25_…`) are taken with every tool offered from the start, so `defer_loading` has no effect and a `tool_reference` in a tool result tells the model the tool is there; other server tools and computer use are a 400"},
	{Name: "tool_choice", Policy: openai.Honoured, Doc: "`auto`/`any`/`tool`/`none`, emulated; `disable_parallel_tool_use` keeps an answer's first call only"},
	{Name: "thinking", Policy: openai.Honoured, Doc: "`enabled` (with `budget_tokens`, which Qwen cannot be held to, held to Anthropic's rules in its words: at least 1024, and less than `max_tokens` unless `anthropic-beta` asks for `interleaved-thinking-…`, when it may exceed it) turns on thinking; `adaptive` turns it on with Qwen deciding how much (`thinking_mode` `Auto`, as Qwen's web client asks; the `-thinking` variant asks for it whole); `disabled` turns it off; `display` `omitted` sends thinking blocks without their text; a field the type does not take (`budget_tokens` beside `adaptive` or `disabled`, `display` beside `disabled`) is a 400 in Anthropic's words (`thinking.adaptive.budget_tokens: Extra inputs are not permitted`)"},
	{Name: "stop_sequences", Policy: openai.Honoured, Doc: "up to 16, each 1–1000 bytes: the answer ends before the first of them"},
	{Name: "stream", Policy: openai.Honoured, Doc: "Anthropic's event stream"},
	{Name: "output_config", Policy: openai.Honoured, Doc: "`format` (`json_schema`, structured outputs): emulated as `response_format`; `effort` (`low` to `max`) checked, no effect"},
	{Name: "output_format", Policy: openai.Honoured, Doc: "the beta form of `output_config.format`"},
	{Name: "max_tokens", Policy: openai.Honoured, Doc: "required, at least 1 and at most the model's most output tokens when Qwen's model list gives them (`max_generation_length`; above it a 400 in Anthropic's words, see Output limits) (`count_tokens` takes none, but holds one sent to the same): the answer ends with the piece at which Qwen's count of output tokens (thinking included) reaches it, `stop_reason: \"max_tokens\"`; Qwen's answer is still read to its end (see Output limits)"},
	{Name: "temperature", Policy: openai.Ignored, Doc: "0 to 1"},
	{Name: "top_p", Policy: openai.Ignored, Doc: "0 to 1"},
	{Name: "top_k", Policy: openai.Ignored, Doc: "an integer, at least 0"},
	{Name: "metadata", Policy: openai.Ignored, Doc: "`user_id`"},
	{Name: "service_tier", Policy: openai.Ignored, Check: oneOf("auto", "standard_only"), Doc: "`auto` or `standard_only`"},
	{Name: "speed", Policy: openai.Ignored, Check: oneOf("standard", "fast"), Doc: "`standard` or `fast`"},
	{Name: "inference_geo", Policy: openai.Ignored, Check: text, Doc: "a string"},
	{Name: "cache_control", Policy: openai.Ignored, Check: object, Doc: "an object (blocks' `cache_control` is taken too): Qwen has no prompt cache to steer"},
	{Name: "container", Policy: openai.Ignored, Check: textOrObject, Doc: "a string or an object: no server tool runs in one here"},
	{Name: "diagnostics", Policy: openai.Ignored, Check: object, Doc: "an object"},
	{Name: "user_profile_id", Policy: openai.Ignored, Check: text, Doc: "a string"},
	{Name: "workspace_id", Policy: openai.Ignored, Check: text, Doc: "a string"},
	{Name: "context_management", Policy: openai.Ignored, Check: object, Doc: "beta: an object; Qwen keeps its chat's context itself"},
	{Name: "thread", Policy: openai.Refused, Check: thread, Doc: "beta (message threads, which the SDK's `toolRunner` uses): `create` passes — the request carries the whole conversation, which finds its Qwen chat as any does; `continue` (only the new messages, without `system` and `tools`) is a 404 `not_found_error` with `details.error_code` `thread_not_found`, as Anthropic answers a thread it no longer holds: the SDKs then send the whole conversation again"},
	{Name: "compaction", Policy: openai.Emulated, Doc: "beta (`compact-2026-09-04`, the SDK tool runner's `compactBeforeNextTurn()`): `{\"type\":\"summarize\"}` has Qwen write a summary of the conversation, asked in its chat (`instructions` replace the proxy's ask), answered as the `compaction` block alone, `stop_reason: \"compaction\"`; the conversation that begins with the block keeps the chat"},
	{Name: "mcp_servers", Policy: openai.Refused, Check: noMCPServers, Doc: "beta: `[]` passes; a server is a 400: Qwen cannot reach MCP servers (declare their tools as client tools)"},
}
