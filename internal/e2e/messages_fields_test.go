package e2e

import (
	"slices"
	"strings"
	"testing"

	"qwenproxy/internal/anthropic"
	wire "qwenproxy/internal/openai"
	respapi "qwenproxy/internal/responses"
)

// messagesSDKFields are the body fields of @anthropic-ai/sdk 1.14's
// MessageCreateParams (clients/), and the beta's mcp_servers and
// context_management, which Claude Code's SDK sends, and thread and
// compaction, which the SDK's tool runner sends.
var messagesSDKFields = []string{"max_tokens", "messages", "model", "cache_control", "container", "diagnostics",
	"inference_geo", "metadata", "output_config", "service_tier", "speed", "stop_sequences", "stream", "system",
	"thinking", "tool_choice", "tools", "user_profile_id", "workspace_id", "temperature", "top_p", "top_k",
	"output_format", "mcp_servers", "context_management", "thread", "compaction"}

// messagesFieldCases are values of the Messages API's fields the proxy
// does not read, and of output_config's effort, with their outcome:
// answered ("ok"), answered and recorded as ignored, or a 400 whose
// message (Anthropic's envelope has no param) begins with the field.
var messagesFieldCases = map[string][]fieldCase{
	"service_tier":       {{`"service_tier":"standard_only"`, wantIgnored}, {`"service_tier":"gold"`, "service_tier"}},
	"speed":              {{`"speed":"fast"`, wantIgnored}, {`"speed":"warp"`, "speed"}},
	"inference_geo":      {{`"inference_geo":"us"`, wantIgnored}, {`"inference_geo":1`, "inference_geo"}},
	"cache_control":      {{`"cache_control":{"type":"ephemeral"}`, wantIgnored}, {`"cache_control":"ephemeral"`, "cache_control"}},
	"container":          {{`"container":"container_1"`, wantIgnored}, {`"container":{"id":"c"}`, wantIgnored}, {`"container":5`, "container"}},
	"diagnostics":        {{`"diagnostics":{}`, wantIgnored}, {`"diagnostics":[]`, "diagnostics"}},
	"user_profile_id":    {{`"user_profile_id":"u"`, wantIgnored}, {`"user_profile_id":{}`, "user_profile_id"}},
	"workspace_id":       {{`"workspace_id":"w"`, wantIgnored}, {`"workspace_id":2`, "workspace_id"}},
	"context_management": {{`"context_management":{"edits":[]}`, wantIgnored}, {`"context_management":[]`, "context_management"}},
	"mcp_servers":        {{`"mcp_servers":[]`, wantOK}, {`"mcp_servers":[{"type":"url","url":"https://mcp.example/sse","name":"ex"}]`, "mcp_servers"}, {`"mcp_servers":{}`, "mcp_servers"}},
	"output_config":      {{`"output_config":{"effort":"high"}`, wantOK}, {`"output_config":{"effort":"extreme"}`, "output_config.effort"}},
}

// TestMessagesFieldsHaveTheirOutcome: every field of the Anthropic SDK's
// Messages request has a policy, and the fields the proxy does not read
// are checked (a malformed one was accepted without a word, an MCP server
// too, whose tools the answer then lacked), recorded as ignored, or
// refused.
func TestMessagesFieldsHaveTheirOutcome(t *testing.T) {
	for _, f := range messagesSDKFields {
		if !slices.ContainsFunc(anthropic.Fields, func(p wire.Field) bool { return p.Name == f }) {
			t.Errorf("SDK field %s has no policy", f)
		}
	}
	e := start(t, nil)
	const base = `"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]`
	for field, list := range messagesFieldCases {
		for _, tc := range list {
			// Anthropic's envelope has no param: its message begins with the field.
			checkFieldOutcome(t, e, field, tc, postJSON(t, e, "/v1/messages", "{"+base+","+tc.extra+"}", nil), func(env envelope) bool {
				return env.Error.Type == "invalid_request_error" && strings.HasPrefix(env.Error.Message, tc.want+":")
			})
		}
	}
}

// TestTablesSayWhereModelIsRequired: the Responses and Messages APIs refuse
// a call without a model (as OpenAI's and Anthropic's do), so their tables
// say it is required; they said a missing model was DEFAULT_MODEL, as it
// is only for Chat Completions.
func TestTablesSayWhereModelIsRequired(t *testing.T) {
	e := start(t, nil)
	for _, tc := range []struct {
		path, body string
		table      []wire.Field
	}{
		{"/v1/responses", `{"input":"hi"}`, respapi.Fields},
		{"/v1/messages", `{"max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`, anthropic.Fields},
	} {
		resp := postJSON(t, e, tc.path, tc.body, nil)
		if env := decodeEnvelope(t, resp); resp.StatusCode != 400 || !strings.Contains(env.Error.Message, "model") {
			t.Errorf("%s without a model: %d %+v", tc.path, resp.StatusCode, env.Error)
		}
		i := slices.IndexFunc(tc.table, func(f wire.Field) bool { return f.Name == "model" })
		if i < 0 || !strings.HasPrefix(tc.table[i].Doc, "required") || strings.Contains(tc.table[i].Doc, "(default") {
			t.Errorf("%s: the table's model entry does not say it is required", tc.path)
		}
	}
}
