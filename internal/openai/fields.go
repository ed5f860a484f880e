package openai

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"qwenproxy/internal/jsonscan"
	"qwenproxy/internal/typeerror"
)

// Policy is what the proxy does with a request field. Every field of the
// OpenAI Chat Completions and legacy Completions references has one, in
// ChatFields and CompletionFields (and in the README's table).
type Policy string

const (
	// Honoured: Qwen or the proxy does what the field asks.
	Honoured Policy = "honoured"
	// Emulated: Qwen has no such feature; the proxy gets the same effect
	// with instructions upstream and checks on the answer.
	Emulated Policy = "emulated"
	// Ignored: the value is type- and range-checked (a malformed one is a
	// 400), then has no effect; the call records it as ignored.
	Ignored Policy = "ignored"
	// Refused: a value asking for what Qwen cannot give is a 400 naming the
	// field; values that ask for nothing (false, 0, "text") pass.
	Refused Policy = "refused"
)

// Field is one request field's policy. Check validates a present, non-null
// value and returns the 400 for a malformed or refused one.
type Field struct {
	Name   string
	Policy Policy
	Check  func(name string, v json.RawMessage) *Error
	// Doc says what happens, for the README's table.
	Doc string
}

// maxIgnored bounds how many ignored field names one call records.
const maxIgnored = 32

// CheckFields checks the top-level fields of a request body against table,
// in one pass over the body. It returns the fields that were present but
// have no effect (Ignored ones, and unknown fields, which are accepted as
// vendor extensions), in body order, at most maxIgnored; or the 400 for the
// first bad field. A body that is not well-formed JSON up to its first bad
// field is left to Decode to report. (A key sent twice, in any case, is
// checked each time; Decode keeps the last.)
//
// Only the values it checks are validated here. The others (messages and
// tools: nearly all of an agent's 100 KB) are validated by Decode, which
// reads them anyway; validating them here too was a third of the time such
// a request spent before it went upstream (BenchmarkRequestChecks). Should
// a field be bad, the values skipped before it are validated then, so that
// malformed JSON is still what is reported first.
func CheckFields(body []byte, table []Field) ([]string, *Error) {
	var ignored []string
	var bad *Error
	malformed := false
	var first [8]json.RawMessage
	skipped := first[:0] // not validated yet
	wellFormed := jsonscan.EachField(body, func(name string, v json.RawMessage) bool {
		i := fieldIndex(table, name)
		if i < 0 || table[i].Check == nil {
			skipped = append(skipped, v)
		} else if !json.Valid(v) {
			malformed = true
			return false
		}
		if IsNull(v) {
			return true
		}
		if i < 0 {
			if len(name) > 64 {
				name = name[:64]
			}
			ignored = appendIgnored(ignored, name)
			return true
		}
		f := table[i]
		if f.Check != nil {
			if bad = f.Check(name, v); bad != nil {
				return false
			}
		}
		if f.Policy == Ignored {
			ignored = appendIgnored(ignored, name)
		}
		return true
	})
	if !wellFormed || malformed {
		return nil, nil // Decode reports it
	}
	if bad != nil {
		for _, v := range skipped {
			if !json.Valid(v) {
				return nil, nil // malformed before the bad field: Decode reports it
			}
		}
		return nil, bad
	}
	return ignored, nil
}

// fieldIndex is the index in table of the field a key sets, or -1.
// encoding/json, which Decode uses, gives a key to a field whatever its case,
// with Unicode's simple folding ("N", "Temperature", a Kelvin sign for a k):
// such a key is that field's, and gets its checks.
// (No two fields' names fold alike, so the first match is the field.)
func fieldIndex(table []Field, key string) int {
	return slices.IndexFunc(table, func(f Field) bool { return strings.EqualFold(f.Name, key) })
}

func appendIgnored(list []string, name string) []string {
	if len(list) >= maxIgnored || slices.Contains(list, name) {
		return list
	}
	return append(list, name)
}

// ---- checks ----

func number(lo, hi float64) func(string, json.RawMessage) *Error {
	return func(name string, v json.RawMessage) *Error {
		var f float64
		if !isNumber(v) {
			return TypeError(name, "a number", v)
		}
		if json.Unmarshal(v, &f) != nil || f < lo || f > hi { // 1e400 is a number too large for any
			return InvalidRequest(name, "invalid_value", "%s must be between %g and %g, not %s", name, lo, hi, typeerror.Value(v))
		}
		return nil
	}
}

// integer is the check of an integer field, in every client API: any JSON
// number without a fraction is an integer (1000, 1e3 and 1000.0 alike, as
// OpenAI's and Anthropic's APIs take them: JSON has one number type, and
// JavaScript clients cannot tell 1000.0 from 1000); a fraction or another
// type is a type error. IntegerValue reads the value it passed.
func integer(lo, hi float64) func(string, json.RawMessage) *Error {
	return func(name string, v json.RawMessage) *Error {
		f, ok := IntegerValue(v)
		if !ok {
			return TypeError(name, "an integer", v)
		}
		switch {
		case f >= lo && f <= hi:
		case f < lo && hi == math.MaxInt64:
			return InvalidRequest(name, "invalid_value", "%s must be at least %s, not %s", name, bound(lo), typeerror.Value(v))
		case f > hi && (lo == math.MinInt64 || hi == math.MaxInt64):
			return InvalidRequest(name, "invalid_value", "%s must be at most %s, not %s", name, bound(hi), typeerror.Value(v))
		default:
			return InvalidRequest(name, "invalid_value", "%s must be between %s and %s, not %s", name, bound(lo), bound(hi), typeerror.Value(v))
		}
		return nil
	}
}

// IntegerValue is the value of v when it is a JSON number without a
// fraction, which integer takes for an integer (1e3 is 1000); ok is false
// for anything else (a fraction, another type, null, nothing). A number
// beyond an int64 is an infinity of its sign, beyond any bound: as a
// float64, 2^63 and the thousand integers after it read as MaxInt64 does
// (float64(math.MaxInt64) is 2^63), and passed a bound of MaxInt64, so
// digits alone are read as an int64, exactly.
func IntegerValue(v json.RawMessage) (n float64, ok bool) {
	v = bytes.TrimSpace(v)
	if !isNumber(v) {
		return 0, false
	}
	beyond := math.Inf(1)
	if v[0] == '-' {
		beyond = math.Inf(-1)
	}
	if !bytes.ContainsAny(v, ".eE") {
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil { // out of range: digits are an integer
			return beyond, true
		}
		return float64(i), true
	}
	if err := json.Unmarshal(v, &n); err != nil { // 1e400
		return beyond, true
	}
	if n >= 1<<63 || n < -(1<<63) {
		return beyond, n == math.Trunc(n)
	}
	return n, n == math.Trunc(n)
}

// The checks below are given one valid JSON value (CheckFields validated
// it), without surrounding space.

// bound writes an integer's bound: the int64 limits whole.
func bound(x float64) string {
	switch x {
	case math.MaxInt64:
		return "9223372036854775807"
	case math.MinInt64:
		return "-9223372036854775808"
	}
	return strconv.FormatFloat(x, 'f', -1, 64) // 2147483647, not 2.147483647e+09
}

func boolean(name string, v json.RawMessage) *Error {
	if s := string(v); s != "true" && s != "false" {
		return TypeError(name, "a boolean", v)
	}
	return nil
}

func str(maxLen int) func(string, json.RawMessage) *Error {
	return func(name string, v json.RawMessage) *Error {
		s, ok := jsonscan.StringValue(v)
		if !ok {
			return TypeError(name, "a string", v)
		}
		if len(s) > maxLen {
			return InvalidRequest(name, "invalid_value", "%s must be at most %d characters", name, maxLen)
		}
		return nil
	}
}

func enum(values ...string) func(string, json.RawMessage) *Error {
	return func(name string, v json.RawMessage) *Error {
		s, ok := jsonscan.StringValue(v)
		if !ok {
			return TypeError(name, "a string", v)
		}
		if !slices.Contains(values, s) {
			return InvalidRequest(name, "invalid_value", "%s must be one of %s, not %q", name, strings.Join(values, ", "), s)
		}
		return nil
	}
}

func object(name string, v json.RawMessage) *Error {
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return TypeError(name, "an object", v)
	}
	return nil
}

// qwenGives checks a value as OpenAI defines it (check), then refuses the
// values Qwen cannot give — every one but only, compared as JSON values —
// saying why, as unsupported_value: a range or a list narrowed to the one
// value Qwen gives ("must be between 0 and 0", "must be one of png") read
// as if the client had sent nonsense, where it sent OpenAI's own value.
func qwenGives(check func(string, json.RawMessage) *Error, only, why string) func(string, json.RawMessage) *Error {
	var want any
	if err := json.Unmarshal([]byte(only), &want); err != nil {
		panic("qwenGives: " + only + " is not JSON")
	}
	return func(name string, v json.RawMessage) *Error {
		if err := check(name, v); err != nil {
			return err
		}
		var got any
		if json.Unmarshal(v, &got) == nil && got == want {
			return nil
		}
		return InvalidRequest(name, "unsupported_value", "%s %s is not supported: %s", name, strings.TrimSpace(string(v)), why)
	}
}

// refuse is a check that refuses any value.
// Refuse is the Check of a field the proxy cannot honour in any value: a 400
// unsupported_parameter naming it and saying why.
func Refuse(why string) func(string, json.RawMessage) *Error {
	return func(name string, _ json.RawMessage) *Error {
		return InvalidRequest(name, "unsupported_parameter", "%s is not supported: %s", name, why)
	}
}

func metadata(name string, v json.RawMessage) *Error {
	if err := checkElements(name, "an object of strings", v, '{', "a string", isString); err != nil {
		return err
	}
	var m map[string]string
	if json.Unmarshal(v, &m) != nil {
		return TypeError(name, "an object of strings", v)
	}
	if len(m) > 16 {
		return InvalidRequest(name, "invalid_value", "%s may hold at most 16 keys", name)
	}
	for k, s := range m {
		if len(k) > 64 || len(s) > 512 {
			return InvalidRequest(name, "invalid_value", "%s keys are at most 64 characters and values at most 512", name)
		}
	}
	return nil
}

func logitBias(name string, v json.RawMessage) *Error {
	const want = "an object of token ids to numbers"
	if err := checkElements(name, want, v, '{', "a number", isNumber); err != nil {
		return err // a null bias among them: decoded, it would pass as 0
	}
	var m map[string]float64
	if json.Unmarshal(v, &m) != nil {
		return TypeError(name, want, v)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) { // the same key named every time
		if _, err := strconv.ParseUint(k, 10, 64); err != nil {
			return InvalidRequest(name, "invalid_value", "%s keys must be token ids (integers), not %q", name, k)
		}
		if b := m[k]; b < -100 || b > 100 {
			return InvalidRequest(name+"."+k, "invalid_value", "%s.%s must be between -100 and 100", name, k)
		}
	}
	return nil
}

func streamOptions(name string, v json.RawMessage) *Error {
	var o map[string]json.RawMessage
	if json.Unmarshal(v, &o) != nil {
		return TypeError(name, "an object", v)
	}
	for _, k := range []string{"include_usage", "include_obfuscation"} {
		if b, ok := o[k]; ok && !IsNull(b) {
			if err := boolean(name+"."+k, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// chatLogprobs is Chat Completions' logprobs, a boolean: false passes, true
// is noLogprobs' 400, and anything else is a type error (1 was refused as
// unsupported, as if it had asked for them).
func chatLogprobs(name string, v json.RawMessage) *Error {
	return cmp.Or(boolean(name, v), noLogprobs(name, v))
}

// noLogprobs passes false (chat) or 0/null (legacy's integer) and refuses a
// request for log probabilities, which Qwen's web API never returns.
func noLogprobs(name string, v json.RawMessage) *Error {
	var b bool
	if json.Unmarshal(v, &b) == nil {
		if b {
			return InvalidRequest(name, "unsupported_value", "%s is not supported: Qwen does not return log probabilities", name)
		}
		return nil
	}
	var n float64
	if json.Unmarshal(v, &n) != nil {
		return TypeError(name, "a boolean", v)
	}
	if n != 0 {
		return InvalidRequest(name, "unsupported_value", "%s is not supported: Qwen does not return log probabilities", name)
	}
	return nil
}

func topLogprobs(name string, v json.RawMessage) *Error {
	if err := integer(0, 20)(name, v); err != nil {
		return err
	}
	return noLogprobs(name, v)
}

// legacyLogprobs is the legacy Completions' logprobs, an integer of 0–5
// (how many of the likeliest tokens to list): 0 passes, the rest is a 400
// (noLogprobs).
func legacyLogprobs(name string, v json.RawMessage) *Error {
	if err := integer(0, 5)(name, v); err != nil {
		return err
	}
	return noLogprobs(name, v)
}

func modalities(name string, v json.RawMessage) *Error {
	if err := checkElements(name, `an array of "text" and "audio"`, v, '[', "a string", isString); err != nil {
		return err
	}
	var list []string
	_ = json.Unmarshal(v, &list) // an array of strings
	for i, m := range list {
		switch m {
		case "text":
		case "audio":
			return InvalidRequest(name, "unsupported_value", "%s[%d] \"audio\" is not supported: Qwen answers with text only", name, i)
		default:
			return InvalidRequest(name, "invalid_value", "%s[%d] must be \"text\" or \"audio\", not %q", name, i, m)
		}
	}
	return nil
}

func onlyOne(name string, v json.RawMessage) *Error {
	if err := integer(1, 128)(name, v); err != nil {
		return err
	}
	var n float64 // 1.0 is 1 (integer took it)
	_ = json.Unmarshal(v, &n)
	if n != 1 {
		return InvalidRequest(name, "unsupported_value", "only %s=1 is supported: Qwen returns one answer per call", name)
	}
	return nil
}

func stopCheck(name string, v json.RawMessage) *Error {
	_, err := ParseStop(v)
	return err
}

func echoCheck(name string, v json.RawMessage) *Error {
	var b bool
	if json.Unmarshal(v, &b) != nil {
		return TypeError(name, "a boolean", v)
	}
	if b {
		return InvalidRequest(name, "unsupported_value", "echo is not supported: the prompt is not repeated in the answer")
	}
	return nil
}

func suffixCheck(name string, v json.RawMessage) *Error {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return TypeError(name, "a string", v)
	}
	if s != "" {
		return InvalidRequest(name, "unsupported_value", "suffix is not supported: Qwen does not fill in the middle")
	}
	return nil
}

func reasoningEffort(name string, v json.RawMessage) *Error {
	return enum(ReasoningEfforts...)(name, v)
}

func responseFormatCheck(name string, v json.RawMessage) *Error {
	_, err := ParseResponseFormat(v)
	return err
}

// ---- the tables ----

var (
	samplingDoc = "range-checked; Qwen's web API has no sampling controls"
	penaltyDoc  = "range-checked (-2 to 2); no effect"
)

// ChatFields is the policy of every POST /v1/chat/completions field: the
// ChatCompletionNewParams of openai-go v3.98.0, plus stream and the
// enable_thinking extension. Structural checks of messages, tools and
// tool_choice happen in Validate and tools.ParseSet.
var ChatFields = []Field{
	{"messages", Honoured, nil, "the conversation; `image_url` parts (data: URLs; http(s) URLs with `ALLOW_IMAGE_URLS`) go to vision models, a 400 for others; `file` parts (`{\"type\":\"file\",\"file\":{\"file_data\":\"data:application/pdf;base64,…\",\"filename\":…}}`, a PDF or plain text) are uploaded and attached (see Documents in), a `file_id`, or a `file_data` that is no data: URL (Chat Completions has no document by URL; Anthropic's `url` source and the Responses API's `file_url` are fetched, see Documents in), is a 400 `invalid_document`; an assistant's `refusal` (beside a null `content`, or as a `refusal` part) is history, read as what it said; an empty system or developer message (`\"content\": \"\"`) is taken and tells the chat nothing, as OpenAI takes it (until 2026-12-07 a 400), while a user message must say something; audio parts are a 400"},
	{"model", Honoured, CheckModel, "the Qwen model (default `DEFAULT_MODEL`)"},
	{"stream", Honoured, boolean, "server-sent events"},
	{"stream_options", Honoured, streamOptions, "`include_usage` honoured (a usage chunk last, `\"usage\": null` on the others); `include_obfuscation` ignored; without `\"stream\": true` a 400 at `stream_options`, in OpenAI's words (until 2026-12-06 taken)"},
	{"reasoning_effort", Honoured, reasoningEffort, "anything but `none`/`minimal` turns on Qwen's thinking (`reasoning_content`)"},
	{"enable_thinking", Honoured, boolean, "Qwen/vLLM extension: thinking on or off; wins over `reasoning_effort`"},
	{"stop", Honoured, stopCheck, "string or up to 4: the answer ends before the first one, `finish_reason: \"stop\"`; Qwen's answer is still read to its end"},
	{"n", Honoured, onlyOne, "only 1; any other value is a 400"},
	{"tools", Emulated, nil, "function and custom (freeform) tools, described upstream and parsed out of the answer; a `strict` function's calls are validated against its parameters"},
	{"tool_choice", Emulated, nil, "`none`/`auto`/`required`/a named function or custom tool/`allowed_tools` (only the listed tools offered, `auto` or `required`); required and named are checked, one corrective turn"},
	{"parallel_tool_calls", Honoured, boolean, "`false`: only an answer's first call is kept"},
	{"functions", Emulated, nil, "legacy: mapped onto `tools`; answered as `message.function_call`, `finish_reason: \"function_call\"`"},
	{"function_call", Emulated, nil, "legacy: mapped onto `tool_choice` (`none`, `auto`, `{\"name\":…}`)"},
	{"response_format", Emulated, responseFormatCheck, "`json_object`/`json_schema`: instructions upstream, the answer parsed (and validated against the schema), one corrective turn, else 502; `text` accepted. `json_object` needs the word \"json\" (in any case) in one of the messages sent, as OpenAI does: else a 400 at `messages`, in OpenAI's words (until 2026-12-06 sent to Qwen, two calls and a 502 `response_format_unmet` when its answer was no JSON)"},
	{"temperature", Ignored, number(0, 2), samplingDoc},
	{"top_p", Ignored, number(0, 1), samplingDoc},
	{"frequency_penalty", Ignored, number(-2, 2), penaltyDoc},
	{"presence_penalty", Ignored, number(-2, 2), penaltyDoc},
	{"max_tokens", Honoured, integer(1, math.MaxInt64), "OpenAI's older name of `max_completion_tokens`, which wins when both are sent"},
	{"max_completion_tokens", Honoured, integer(1, math.MaxInt64), "at least 1, at most the model's most output tokens when Qwen's model list gives them (`max_generation_length`; above it a 400 in OpenAI's words, see Output limits): the answer ends with the piece at which Qwen's count of output tokens (reasoning included) reaches it, `finish_reason: \"length\"`, `usage` the count there; Qwen's answer is still read to its end (see Output limits)"},
	{"seed", Ignored, integer(math.MinInt64, math.MaxInt64), "an integer; Qwen is not deterministic"},
	{"logit_bias", Ignored, logitBias, "token ids (integer keys) to -100…100; Qwen's tokens are not addressable"},
	{"user", Ignored, str(512), "a string"},
	{"safety_identifier", Ignored, str(128), "a string of at most 128"},
	{"prompt_cache_key", Ignored, str(1024), "a string"},
	{"prompt_cache_retention", Ignored, enum("in_memory", "24h"), "`in_memory` or `24h`"},
	{"prompt_cache_options", Ignored, object, "an object"},
	{"metadata", Ignored, metadata, "up to 16 string pairs; every call is recorded anyway"},
	{"store", Ignored, boolean, "a boolean; every call is recorded anyway (the history API serves it; OpenAI's stored-completions routes, `GET /v1/chat/completions/{id}`, are not served)"},
	{"service_tier", Ignored, enum(ServiceTiers...), "one of OpenAI's tiers"},
	{"verbosity", Ignored, enum("low", "medium", "high"), "`low`, `medium` or `high`"},
	{"logprobs", Refused, chatLogprobs, "`true` is a 400: Qwen gives no log probabilities; `false` passes"},
	{"top_logprobs", Refused, topLogprobs, "0–20; anything but 0 is a 400"},
	{"modalities", Refused, modalities, "`[\"text\"]` passes; `\"audio\"` is a 400"},
	{"audio", Refused, Refuse("Qwen answers with text only"), "a 400"},
	{"prediction", Refused, Refuse("Qwen has no predicted outputs"), "a 400"},
	{"moderation", Refused, Refuse("the proxy does not moderate input or output"), "a 400: the proxy cannot moderate"},
	{"web_search_options", Honoured, webSearchOptions, "an object: turns on Qwen's web search, as the `-search` model variant does (sources as `annotations`); its settings (`search_context_size` `low`, `medium` or `high`; `user_location`) have no effect and are type-checked; a 400 for a model without search or an `-image` variant"},
}

// CompletionFields is the policy of every legacy POST /v1/completions field
// (CompletionNewParams of openai-go v3.98.0).
var CompletionFields = []Field{
	{"model", Honoured, CheckModel, "the Qwen model"},
	{"prompt", Honoured, nil, "a string, or an array of one string"},
	{"stream", Honoured, boolean, "server-sent events"},
	{"stream_options", Honoured, streamOptions, "`include_usage` honoured; without `\"stream\": true` a 400 at `stream_options`, in OpenAI's words, as for chat (until 2026-12-06 taken)"},
	{"stop", Honoured, stopCheck, "as for chat"},
	{"n", Honoured, onlyOne, "only 1"},
	{"best_of", Honoured, onlyOne, "only 1"},
	{"echo", Refused, echoCheck, "`true` is a 400"},
	{"suffix", Refused, suffixCheck, "a non-empty suffix is a 400"},
	{"logprobs", Refused, legacyLogprobs, "an integer, 0–5; anything but 0/null is a 400"},
	{"temperature", Ignored, number(0, 2), samplingDoc},
	{"top_p", Ignored, number(0, 1), samplingDoc},
	{"frequency_penalty", Ignored, number(-2, 2), penaltyDoc},
	{"presence_penalty", Ignored, number(-2, 2), penaltyDoc},
	{"max_tokens", Honoured, integer(1, math.MaxInt64), "at least 1 and at most the model's most, as chat's `max_completion_tokens`: `finish_reason: \"length\"`; absent, no limit (not OpenAI's 16)"},
	{"seed", Ignored, integer(math.MinInt64, math.MaxInt64), "an integer"},
	{"logit_bias", Ignored, logitBias, "token ids (integer keys) to -100…100"},
	{"user", Ignored, str(512), "a string"},
}

// ParseStop reads stop: a string or an array of at most 4 strings. Empty
// sequences stop nothing and are dropped.
func ParseStop(v json.RawMessage) ([]string, *Error) {
	if IsNull(v) {
		return nil, nil
	}
	var one string
	if json.Unmarshal(v, &one) == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	if err := checkElements("stop", "a string or an array of strings", v, '[', "a string", isString); err != nil {
		return nil, err
	}
	var list []string
	_ = json.Unmarshal(v, &list) // an array of strings
	if len(list) > 4 {
		return nil, InvalidRequest("stop", "invalid_value", "stop may hold at most 4 sequences, not %d", len(list))
	}
	var out []string
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// FieldDocs renders a table as Markdown rows, for the README tests.
func FieldDocs(table []Field) string {
	var b strings.Builder
	for _, f := range table {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.Name, f.Policy, f.Doc)
	}
	return b.String()
}
