package anthropic

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strings"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/typeerror"
)

// The checks of the fields the proxy accepts without reading, with
// Anthropic's messages ("field: what is wrong").

// typeError is openai.TypeError in Anthropic's words: "container: must be a
// string or an object, not 5".
func typeError(name, want string, v json.RawMessage) *openai.Error {
	return openai.InvalidRequest(name, "invalid_type", "%s: must be %s, not %s", name, want, typeerror.Value(v))
}

// integer checks an integer field when it is sent (not null), by the rule
// of every client API's integers (openai.CheckInteger: any number without
// a fraction, 1e3 among them), from lo up, in Anthropic's words:
// "max_tokens: must be at least 1, not 0".
func integer(name string, v json.RawMessage, lo float64) *openai.Error {
	if openai.IsNull(v) {
		return nil
	}
	return inAnthropicWords(openai.CheckInteger(lo, math.MaxInt64)(name, v))
}

// inAnthropicWords is a check's error of the OpenAI front-end's ("top_k
// must be …") as Anthropic words it, its field's path and a colon first
// ("top_k: must be …"); nil stays nil.
func inAnthropicWords(err *openai.Error) *openai.Error {
	if err != nil && err.Param != "" {
		if rest, ok := strings.CutPrefix(err.Message, err.Param+" "); ok {
			err.Message = err.Param + ": " + rest
		}
	}
	return err
}

func oneOf(values ...string) func(string, json.RawMessage) *openai.Error {
	return func(name string, v json.RawMessage) *openai.Error {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return typeError(name, "a string", v)
		}
		if !slices.Contains(values, s) {
			return openai.InvalidRequest(name, "invalid_value", "%s: must be one of %s, not %q", name, strings.Join(values, ", "), s)
		}
		return nil
	}
}

// model is openai.CheckModel in Anthropic's words.
func model(name string, v json.RawMessage) *openai.Error {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return typeError(name, "a string", v)
	}
	if len(s) > openai.MaxModelName {
		return openai.InvalidRequest(name, "invalid_value", "%s: must be at most %d characters", name, openai.MaxModelName)
	}
	return nil
}

func text(name string, v json.RawMessage) *openai.Error {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return typeError(name, "a string", v)
	}
	return nil
}

func object(name string, v json.RawMessage) *openai.Error {
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return typeError(name, "an object", v)
	}
	return nil
}

func textOrObject(name string, v json.RawMessage) *openai.Error {
	if text(name, v) == nil || object(name, v) == nil {
		return nil
	}
	return typeError(name, "a string or an object", v)
}

// noMCPServers passes an empty list and refuses a server: Qwen cannot call
// one, and its tools would silently be missing.
func noMCPServers(name string, v json.RawMessage) *openai.Error {
	var list []json.RawMessage
	if json.Unmarshal(v, &list) != nil {
		return typeError(name, "a list", v)
	}
	if len(list) > 0 {
		return openai.InvalidRequest(name, "unsupported_parameter",
			"%s: MCP servers are not supported: Qwen cannot reach them; declare their tools as client tools (name, description, input_schema)", name)
	}
	return nil
}

// CodeThreadNotFound is Anthropic's error code for a thread continue whose
// previous_message_id holds no thread (details.error_code of a 404).
const CodeThreadNotFound = "thread_not_found"

// thread checks a message thread (beta message-threads-2026-08-12) and
// answers a continue with Anthropic's 404 thread_not_found. A thread keeps
// the conversation, its system prompt and its tools on the server so that
// each later turn sends only its new messages (continue, without system and
// tools): the proxy keeps no such thing — Qwen keeps each conversation's
// chat, which the whole conversation finds again — so a continue, served as
// a request, was a conversation of its new messages alone, without its
// tools. thread_not_found is how Anthropic answers a thread it no longer
// holds: the SDKs' thread helpers and tool runner then send the whole
// conversation again, under a thread create, which is served as any
// request.
func thread(name string, v json.RawMessage) *openai.Error {
	var t map[string]json.RawMessage
	if json.Unmarshal(v, &t) != nil {
		return typeError(name, "an object", v)
	}
	kind, bad := requiredString(name+".type", t["type"])
	if bad != nil {
		return bad
	}
	switch kind {
	case "create":
		return nil
	case "continue":
	default:
		return openai.InvalidRequest(name+".type", "invalid_value", "%s.type: must be create or continue, not %q", name, kind)
	}
	if _, bad := requiredString(name+".previous_message_id", t["previous_message_id"]); bad != nil {
		return bad
	}
	return &openai.Error{Status: http.StatusNotFound, Type: openai.TypeNotFound, Param: name + ".previous_message_id", Code: CodeThreadNotFound,
		Message: "no thread is held for thread.previous_message_id: qwenproxy keeps no message threads (Qwen keeps each conversation's chat, which the whole conversation finds again); " +
			`replay the full conversation with thread: {"type": "create"}, or without thread`}
}

// requiredString is the string v of the field name, or Anthropic's 400 for
// a missing or empty one or another type.
func requiredString(name string, v json.RawMessage) (string, *openai.Error) {
	if len(v) == 0 || openai.IsNull(v) {
		return "", openai.InvalidRequest(name, "missing_required_parameter", "%s: Field required", name)
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", typeError(name, "a string", v)
	}
	if s == "" {
		return "", openai.InvalidRequest(name, "invalid_value", "%s: must not be empty", name)
	}
	return s, nil
}
