package responses

import (
	"strings"

	"qwenproxy/internal/openai"
)

// A compaction item (POST /v1/responses/compact's, sent back in a later
// request's input) carries Qwen's summary of the conversation it replaced.
// OpenAI's encrypted_content is ciphertext only OpenAI reads; the proxy's
// is the summary itself behind a versioned prefix: the proxy reads it back
// on any instance, after a restart, with nothing stored and nothing to
// own (a record could be deleted, retention could drop it, another key
// could not read it); and it holds no secret, since the summary is the
// conversation the client sent, in words — which, written plain, the
// record's redaction also finds, as in any assistant message (base64
// would hide a secret the summary repeated from it). A client that forged
// one would only tell the model what it could tell it in any message. The
// prefix names the form, so that a later one can be told from it, and an
// encrypted_content that is not the proxy's (OpenAI's) is a clear 400.
const CompactionPrefix = "qwenproxy.compaction.v1:"

// MaxCompactionBytes bounds an encrypted_content read back: a summary is a
// few kilobytes; anything far past that is no summary the proxy made.
const MaxCompactionBytes = 256 << 10

// EncodeCompaction is the encrypted_content of a compaction item holding
// summary.
func EncodeCompaction(summary string) string { return CompactionPrefix + summary }

// DecodeCompaction reads a compaction item's encrypted_content back into
// its summary; param names the field, for the 400 of one the proxy did
// not make.
func DecodeCompaction(content, param string) (string, *openai.Error) {
	if len(content) > MaxCompactionBytes {
		return "", openai.InvalidRequest(param, "string_above_max_length",
			"%s is %d bytes, over the %d a compaction item of this proxy holds: it was not made by POST /v1/responses/compact here", param, len(content), MaxCompactionBytes)
	}
	summary, ok := strings.CutPrefix(content, CompactionPrefix)
	if !ok {
		return "", openai.InvalidRequest(param, "invalid_encrypted_content",
			"%s cannot be read: it was not made by this proxy's POST /v1/responses/compact (a compaction item made by OpenAI is encrypted for OpenAI alone); compact the conversation here, or send its items instead", param)
	}
	if strings.TrimSpace(summary) == "" {
		// The proxy never makes one (an answer without text fails), and
		// read as nothing it left the input empty, refused as such.
		return "", openai.InvalidRequest(param, "invalid_encrypted_content",
			"%s holds no summary: it was not made by this proxy's POST /v1/responses/compact", param)
	}
	return summary, nil
}

// GoOnAsk is what a conversation that ends with a compaction item (nothing
// new after the summary) asks the model: to go on from it.
const GoOnAsk = "Go on from your summary above: continue the task where the conversation left it."

// SummarizeAsk is what POST /v1/responses/compact asks Qwen for, after the
// conversation (the request's instructions are its system prompt, as for
// POST /v1/responses, not this ask).
const SummarizeAsk = "Summarize the conversation so far, so that it can go on from your summary alone: the task and what was asked, " +
	"what has been done and found (tool calls and their results that matter), decisions made, and what remains to do. " +
	"Write only the summary, in plain text, without calling any function."

// CompactFields are the policies of POST /v1/responses/compact's fields:
// every field of the official SDKs' ResponseCompactParams (openai-node
// 6.49, openai-python). Any other field is accepted, without effect, and
// named in the call's ignored_params, as for POST /v1/responses.
var CompactFields = []openai.Field{
	{Name: "model", Policy: openai.Honoured, Check: openai.CheckModel, Doc: "required: the Qwen model that writes the summary, `MODEL_MAP` applied"},
	{Name: "input", Policy: openai.Honoured, Doc: "the conversation to compact, as `POST /v1/responses` takes its `input` (a `compaction` item of an earlier compaction too); required unless `previous_response_id` is given"},
	{Name: "instructions", Policy: openai.Honoured, Doc: "the system prompt, as for `POST /v1/responses` (not the ask for the summary, which is the proxy's)"},
	{Name: "previous_response_id", Policy: openai.Honoured, Doc: "compacts that response's conversation (its Qwen chat — asked under it when the chat's latest turn was asked from it; a branch's, when the chat has answered further past it: see Threading), then `input`'s items"},
	{Name: "prompt_cache_key", Policy: openai.Ignored, Check: openai.CheckString(1024), Doc: "a string"},
	{Name: "prompt_cache_retention", Policy: openai.Ignored, Check: openai.CheckEnum("in_memory", "24h"), Doc: "`in_memory` or `24h`"},
	{Name: "prompt_cache_options", Policy: openai.Ignored, Check: openai.CheckObject, Doc: "an object"},
	{Name: "service_tier", Policy: openai.Ignored, Check: openai.CheckEnum(openai.ServiceTiers...), Doc: "one of OpenAI's tiers"},
}

// ForCompaction makes r the request POST /v1/responses/compact reads, before
// it is validated: its model, input, instructions and previous_response_id
// (and conversation, which the route refuses). What else a create request
// has (tools, text, stream, …) is not compact's: dropped, not checked
// beyond its JSON type, and named in ignored_params.
func (r *Request) ForCompaction() {
	*r = Request{Model: r.Model, Input: r.Input, Instructions: r.Instructions, PreviousResponseID: r.PreviousResponseID,
		ConversationParam: r.ConversationParam, compacting: true}
}

// Compacted are the items POST /v1/responses/compact keeps before its
// compaction item, as OpenAI's does: the user messages of listed (input
// items as GET …/input_items lists them; an item_reference to a message as
// the message it names), in order. The summary stands for everything else.
func Compacted(listed []InputItem) []InputItem {
	var kept []InputItem
	for _, it := range listed {
		if it.Type == "message" && it.Role == "user" {
			kept = append(kept, it)
		}
	}
	return kept
}
