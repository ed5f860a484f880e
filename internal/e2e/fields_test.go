package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"

	wire "qwenproxy/internal/openai"
	respapi "qwenproxy/internal/responses"
)

// fieldCase is one value of one request field and its outcome: "ok" (used
// or harmless: not recorded as ignored), "ignored" (accepted and recorded
// as ignored), or the param of the 400 it gets.
type fieldCase struct {
	extra string // JSON members added to the base body
	want  string
}

const (
	wantOK      = "ok"
	wantIgnored = "ignored"
)

const fnDecl = `{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}`
const toolDecl = `[{"type":"function","function":` + fnDecl + `}]`

// chatFieldCases covers every field of wire.ChatFields with values of each
// outcome the field can have. Honoured fields' effects have tests of their
// own (stop, response_format, functions, reasoning, stream, …).
var chatFieldCases = map[string][]fieldCase{
	"messages":               {{`"messages":[{"role":"user","content":"hi"}]`, wantOK}, {`"messages":"hi"`, "messages"}},
	"model":                  {{`"model":"qwen3-max"`, wantOK}, {`"model":5`, "model"}},
	"stream":                 {{`"stream":false`, wantOK}, {`"stream":"yes"`, "stream"}},
	"stream_options":         {{`"stream":true,"stream_options":{"include_usage":true,"include_obfuscation":false}`, wantOK}, {`"stream_options":{"include_usage":1}`, "stream_options.include_usage"}, {`"stream_options":[]`, "stream_options"}, {`"stream_options":{"include_usage":true}`, "stream_options"}},
	"reasoning_effort":       {{`"reasoning_effort":"high"`, wantOK}, {`"reasoning_effort":"extreme"`, "reasoning_effort"}},
	"enable_thinking":        {{`"enable_thinking":false`, wantOK}, {`"enable_thinking":"yes"`, "enable_thinking"}},
	"stop":                   {{`"stop":"Earlier"`, wantOK}, {`"stop":["a","b","c","d"]`, wantOK}, {`"stop":["a","b","c","d","e"]`, "stop"}, {`"stop":7`, "stop"}},
	"n":                      {{`"n":1`, wantOK}, {`"n":1.0`, wantOK}, {`"n":2`, "n"}, {`"n":"one"`, "n"}},
	"tools":                  {{`"tools":` + toolDecl, wantOK}, {`"tools":[{"type":"bogus"}]`, "tools[0].type"}},
	"tool_choice":            {{`"tools":` + toolDecl + `,"tool_choice":"auto"`, wantOK}, {`"tools":` + toolDecl + `,"tool_choice":"sometimes"`, "tool_choice"}},
	"parallel_tool_calls":    {{`"parallel_tool_calls":false`, wantOK}, {`"parallel_tool_calls":"no"`, "parallel_tool_calls"}},
	"functions":              {{`"functions":[` + fnDecl + `]`, wantOK}, {`"functions":[{"name":"bad name"}]`, "functions[0].name"}, {`"functions":[` + fnDecl + `],"tools":` + toolDecl, "functions"}},
	"function_call":          {{`"functions":[` + fnDecl + `],"function_call":"auto"`, wantOK}, {`"functions":[` + fnDecl + `],"function_call":{"name":"nope"}`, "function_call"}, {`"function_call":"auto"`, "function_call"}},
	"response_format":        {{`"response_format":{"type":"text"}`, wantOK}, {`"response_format":"bogus"`, "response_format"}, {`"response_format":{"type":"xml"}`, "response_format.type"}, {`"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":12}}}`, "response_format.json_schema.schema"}, {`"response_format":{"type":"json_object"}`, "messages"}},
	"temperature":            {{`"temperature":0.2`, wantIgnored}, {`"temperature":3`, "temperature"}, {`"temperature":"hot"`, "temperature"}},
	"top_p":                  {{`"top_p":0.9`, wantIgnored}, {`"top_p":1.5`, "top_p"}},
	"frequency_penalty":      {{`"frequency_penalty":0.5`, wantIgnored}, {`"frequency_penalty":-3`, "frequency_penalty"}},
	"presence_penalty":       {{`"presence_penalty":-0.5`, wantIgnored}, {`"presence_penalty":2.5`, "presence_penalty"}},
	"max_tokens":             {{`"max_tokens":100`, wantOK}, {`"max_tokens":1e3`, wantOK}, {`"max_tokens":0`, "max_tokens"}, {`"max_tokens":1.5`, "max_tokens"}},
	"max_completion_tokens":  {{`"max_completion_tokens":100`, wantOK}, {`"max_completion_tokens":100.0`, wantOK}, {`"max_completion_tokens":-1`, "max_completion_tokens"}},
	"seed":                   {{`"seed":42`, wantIgnored}, {`"seed":"42"`, "seed"}},
	"logit_bias":             {{`"logit_bias":{"50256":-100}`, wantIgnored}, {`"logit_bias":{"1":200}`, "logit_bias.1"}, {`"logit_bias":{"abc":5}`, "logit_bias"}, {`"logit_bias":{"-1":5}`, "logit_bias"}},
	"user":                   {{`"user":"user-1"`, wantIgnored}, {`"user":5`, "user"}},
	"safety_identifier":      {{`"safety_identifier":"h1"`, wantIgnored}, {`"safety_identifier":"` + strings.Repeat("x", 129) + `"`, "safety_identifier"}},
	"prompt_cache_key":       {{`"prompt_cache_key":"k"`, wantIgnored}, {`"prompt_cache_key":1`, "prompt_cache_key"}},
	"prompt_cache_retention": {{`"prompt_cache_retention":"24h"`, wantIgnored}, {`"prompt_cache_retention":"1y"`, "prompt_cache_retention"}},
	"prompt_cache_options":   {{`"prompt_cache_options":{"mode":"implicit"}`, wantIgnored}, {`"prompt_cache_options":"x"`, "prompt_cache_options"}},
	"metadata":               {{`"metadata":{"team":"a"}`, wantIgnored}, {`"metadata":{"team":1}`, "metadata.team"}},
	"store":                  {{`"store":true`, wantIgnored}, {`"store":"yes"`, "store"}},
	"service_tier":           {{`"service_tier":"auto"`, wantIgnored}, {`"service_tier":"gold"`, "service_tier"}},
	"verbosity":              {{`"verbosity":"low"`, wantIgnored}, {`"verbosity":"loud"`, "verbosity"}},
	"logprobs":               {{`"logprobs":false`, wantOK}, {`"logprobs":true`, "logprobs"}, {`"logprobs":"no"`, "logprobs"}},
	"top_logprobs":           {{`"top_logprobs":0`, wantOK}, {`"top_logprobs":5`, "top_logprobs"}, {`"top_logprobs":21`, "top_logprobs"}},
	"modalities":             {{`"modalities":["text"]`, wantOK}, {`"modalities":["text","audio"]`, "modalities"}, {`"modalities":["video"]`, "modalities"}},
	"audio":                  {{`"audio":{"voice":"alloy","format":"mp3"}`, "audio"}},
	"prediction":             {{`"prediction":{"type":"content","content":"x"}`, "prediction"}},
	"moderation":             {{`"moderation":{"model":"omni-moderation-latest"}`, "moderation"}},
	"web_search_options":     {{`"web_search_options":{}`, wantOK}, {`"web_search_options":"on"`, "web_search_options"}},
}

var imageFieldCases = map[string][]fieldCase{
	"prompt":             {{`"prompt":"a fox"`, wantOK}, {`"prompt":""`, "prompt"}, {`"prompt":1`, "prompt"}},
	"model":              {{`"model":"qwen3-max-image"`, wantOK}, {`"model":[]`, "model"}},
	"n":                  {{`"n":1`, wantOK}, {`"n":2`, "n"}},
	"size":               {{`"size":"1024x1536"`, wantOK}, {`"size":"auto"`, wantOK}, {`"size":"big"`, "size"}},
	"response_format":    {{`"response_format":"b64_json"`, wantOK}, {`"response_format":"gif"`, "response_format"}},
	"quality":            {{`"quality":"high"`, wantIgnored}, {`"quality":3`, "quality"}, {`"quality":"ultra"`, "quality"}},
	"style":              {{`"style":"vivid"`, wantIgnored}, {`"style":{}`, "style"}, {`"style":"cubist"`, "style"}},
	"user":               {{`"user":"u"`, wantIgnored}, {`"user":5`, "user"}},
	"background":         {{`"background":"auto"`, wantOK}, {`"background":"opaque"`, wantOK}, {`"background":1`, "background"}, {`"background":"transparent"`, "background"}},
	"moderation":         {{`"moderation":"low"`, wantIgnored}, {`"moderation":[]`, "moderation"}, {`"moderation":"none"`, "moderation"}},
	"safety_identifier":  {{`"safety_identifier":"h"`, wantIgnored}, {`"safety_identifier":1`, "safety_identifier"}},
	"output_format":      {{`"output_format":"png"`, wantOK}, {`"output_format":"webp"`, "output_format"}},
	"frame_count":        {{`"frame_count":1`, wantOK}, {`"frame_count":8`, "frame_count"}},
	"frame_duration_ms":  {{`"frame_duration_ms":200`, wantIgnored}, {`"frame_duration_ms":-1`, "frame_duration_ms"}},
	"complexity":         {{`"complexity":"low"`, wantIgnored}, {`"complexity":"huge"`, "complexity"}},
	"svg":                {{`"svg":{}`, "svg"}},
	"output_compression": {{`"output_compression":50`, wantIgnored}, {`"output_compression":101`, "output_compression"}},
	"partial_images":     {{`"partial_images":0`, wantOK}, {`"partial_images":2`, "partial_images"}},
	"stream":             {{`"stream":false`, wantOK}, {`"stream":true`, "stream"}},
}

const respToolDecl = `[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]`

// responseFieldCases covers every field of responses.Fields, as
// chatFieldCases does chat's.
var responseFieldCases = map[string][]fieldCase{
	"model":                  {{`"model":"qwen3-max"`, wantOK}, {`"model":5`, "model"}},
	"input":                  {{`"input":"hi"`, wantOK}, {`"input":7`, "input"}},
	"instructions":           {{`"instructions":"Be brief."`, wantOK}, {`"instructions":5`, "instructions"}},
	"tools":                  {{`"tools":` + respToolDecl, wantOK}, {`"tools":[{"name":"untyped"}]`, "tools[0].type"}},
	"tool_choice":            {{`"tools":` + respToolDecl + `,"tool_choice":"auto"`, wantOK}, {`"tools":` + respToolDecl + `,"tool_choice":{"type":"function","name":"nope"}`, "tool_choice"}},
	"parallel_tool_calls":    {{`"parallel_tool_calls":false`, wantOK}, {`"parallel_tool_calls":"no"`, "parallel_tool_calls"}},
	"text":                   {{`"text":{"format":{"type":"text"},"verbosity":"low"}`, wantOK}, {`"text":{"format":{"type":"xml"}}`, "text.format.type"}, {`"text":{"verbosity":"loud"}`, "text.verbosity"}, {`"text":{"format":{"type":"json_object"}}`, "input"}},
	"reasoning":              {{`"reasoning":{"effort":"low","summary":"auto"}`, wantOK}, {`"reasoning":{"effort":"extreme"}`, "reasoning.effort"}, {`"reasoning":{"summary":"long"}`, "reasoning.summary"}},
	"stream":                 {{`"stream":false`, wantOK}, {`"stream":"yes"`, "stream"}},
	"store":                  {{`"store":true`, wantOK}, {`"store":"yes"`, "store"}},
	"previous_response_id":   {{`"previous_response_id":null`, wantOK}, {`"previous_response_id":5`, "previous_response_id"}},
	"max_output_tokens":      {{`"max_output_tokens":100`, wantOK}, {`"max_output_tokens":1e2`, wantOK}, {`"max_output_tokens":15`, "max_output_tokens"}, {`"max_output_tokens":1.5`, "max_output_tokens"}},
	"temperature":            {{`"temperature":0.2`, wantIgnored}, {`"temperature":3`, "temperature"}},
	"top_p":                  {{`"top_p":0.9`, wantIgnored}, {`"top_p":1.5`, "top_p"}},
	"metadata":               {{`"metadata":{"team":"a"}`, wantIgnored}, {`"metadata":{"team":1}`, "metadata.team"}},
	"include":                {{`"include":["web_search_call.action.sources"]`, wantOK}, {`"include":"all"`, "include"}, {`"include":["message.output_text.logprobs"]`, "include[0]"}},
	"user":                   {{`"user":"user-1"`, wantIgnored}, {`"user":5`, "user"}},
	"safety_identifier":      {{`"safety_identifier":"h1"`, wantIgnored}, {`"safety_identifier":"` + strings.Repeat("x", 129) + `"`, "safety_identifier"}},
	"prompt_cache_key":       {{`"prompt_cache_key":"k"`, wantIgnored}, {`"prompt_cache_key":1`, "prompt_cache_key"}},
	"prompt_cache_retention": {{`"prompt_cache_retention":"24h"`, wantIgnored}, {`"prompt_cache_retention":"1y"`, "prompt_cache_retention"}},
	"prompt_cache_options":   {{`"prompt_cache_options":{"mode":"implicit"}`, wantIgnored}, {`"prompt_cache_options":"x"`, "prompt_cache_options"}},
	"service_tier":           {{`"service_tier":"flex"`, wantIgnored}, {`"service_tier":"gold"`, "service_tier"}},
	"stream_options":         {{`"stream":true,"stream_options":{"include_obfuscation":false}`, wantIgnored}, {`"stream":true,"stream_options":{"include_obfuscation":1}`, "stream_options.include_obfuscation"}, {`"stream_options":{"include_obfuscation":false}`, "stream_options"}},
	"background":             {{`"background":false`, wantIgnored}, {`"background":"yes"`, "background"}},
	"truncation":             {{`"truncation":"auto"`, wantIgnored}, {`"truncation":"sometimes"`, "truncation"}},
	"context_management":     {{`"context_management":[{"type":"compaction","compact_threshold":1000}]`, wantIgnored}, {`"context_management":{}`, "context_management"}},
	"max_tool_calls":         {{`"max_tool_calls":3`, wantIgnored}, {`"max_tool_calls":0`, "max_tool_calls"}},
	"access_programs":        {{`"access_programs":{}`, wantIgnored}, {`"access_programs":"x"`, "access_programs"}},
	"image":                  {{`"image":{}`, wantIgnored}, {`"image":1`, "image"}},
	"top_logprobs":           {{`"top_logprobs":0`, wantOK}, {`"top_logprobs":5`, "top_logprobs"}, {`"top_logprobs":21`, "top_logprobs"}},
	"moderation":             {{`"moderation":{"model":"omni-moderation-latest"}`, "moderation"}},
	"conversation":           {{`"conversation":null`, wantOK}, {`"conversation":7`, "conversation"}, {`"conversation":{"id":""}`, "conversation"}},
	"prompt":                 {{`"prompt":null`, wantOK}, {`"prompt":{"id":"pmpt_1"}`, "prompt"}},
}

var completionFieldCases = map[string][]fieldCase{
	"model":             {{`"model":"qwen3-max"`, wantOK}, {`"model":[]`, "model"}},
	"prompt":            {{`"prompt":["hi"]`, wantOK}, {`"prompt":7`, "prompt"}},
	"stream":            {{`"stream":false`, wantOK}, {`"stream":1`, "stream"}},
	"stream_options":    {{`"stream":true,"stream_options":{"include_usage":false}`, wantOK}, {`"stream_options":1`, "stream_options"}, {`"stream_options":{"include_usage":false}`, "stream_options"}},
	"stop":              {{`"stop":["x"]`, wantOK}, {`"stop":{}`, "stop"}},
	"n":                 {{`"n":1`, wantOK}, {`"n":3`, "n"}},
	"best_of":           {{`"best_of":1`, wantOK}, {`"best_of":2`, "best_of"}},
	"echo":              {{`"echo":false`, wantOK}, {`"echo":true`, "echo"}},
	"suffix":            {{`"suffix":""`, wantOK}, {`"suffix":"end"`, "suffix"}},
	"logprobs":          {{`"logprobs":0`, wantOK}, {`"logprobs":3`, "logprobs"}},
	"temperature":       {{`"temperature":1`, wantIgnored}, {`"temperature":-1`, "temperature"}},
	"top_p":             {{`"top_p":0.5`, wantIgnored}, {`"top_p":2`, "top_p"}},
	"frequency_penalty": {{`"frequency_penalty":1`, wantIgnored}, {`"frequency_penalty":9`, "frequency_penalty"}},
	"presence_penalty":  {{`"presence_penalty":1`, wantIgnored}, {`"presence_penalty":9`, "presence_penalty"}},
	"max_tokens":        {{`"max_tokens":16`, wantOK}, {`"max_tokens":0`, "max_tokens"}},
	"seed":              {{`"seed":1`, wantIgnored}, {`"seed":true`, "seed"}},
	"logit_bias":        {{`"logit_bias":{}`, wantIgnored}, {`"logit_bias":[]`, "logit_bias"}, {`"logit_bias":{"1.5":5}`, "logit_bias"}},
	"user":              {{`"user":"u"`, wantIgnored}, {`"user":{}`, "user"}},
}

// jsonFields lists the JSON names of a params struct's fields.
func jsonFields(v any) []string {
	var out []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// TestFieldPolicyTablesCoverTheSDK: every field the official SDK can send
// has a policy, and every policy has test cases here.
func TestFieldPolicyTablesCoverTheSDK(t *testing.T) {
	check := func(sdk []string, table []wire.Field, cases map[string][]fieldCase) {
		t.Helper()
		names := map[string]bool{}
		for _, f := range table {
			names[f.Name] = true
			if len(cases[f.Name]) == 0 {
				t.Errorf("field %s has a policy but no test case", f.Name)
			}
		}
		for _, f := range sdk {
			if !names[f] {
				t.Errorf("SDK field %s has no policy", f)
			}
		}
		for f := range cases {
			if !names[f] {
				t.Errorf("test case for %s, which has no policy", f)
			}
		}
	}
	check(append(jsonFields(openai.ChatCompletionNewParams{}), "stream"), wire.ChatFields, chatFieldCases)
	check(append(jsonFields(openai.CompletionNewParams{}), "stream"), wire.CompletionFields, completionFieldCases)
	check(append(jsonFields(openai.ImageGenerateParams{}), "stream"), wire.ImageFields, imageFieldCases)
	check(append(jsonFields(responses.ResponseNewParams{}), "stream"), respapi.Fields, responseFieldCases)
}

// TestEveryFieldHasItsOutcome posts each value of each field and checks its
// outcome: answered, answered and recorded as ignored, or a 400 naming it.
func TestEveryFieldHasItsOutcome(t *testing.T) {
	e := start(t, nil)
	run := func(path, base string, cases map[string][]fieldCase) {
		for field, list := range cases {
			for _, tc := range list {
				body := "{" + base + "," + tc.extra + "}"
				if strings.HasPrefix(tc.extra, `"messages"`) || strings.HasPrefix(tc.extra, `"prompt"`) && path != "/v1/responses" {
					body = "{" + tc.extra + "}"
				}
				checkFieldOutcome(t, e, field, tc, postJSON(t, e, path, body, nil), func(env envelope) bool {
					return env.Error.Param != nil && *env.Error.Param == tc.want
				})
			}
		}
	}
	run("/v1/chat/completions", `"messages":[{"role":"user","content":"hi"}]`, chatFieldCases)
	run("/v1/completions", `"prompt":"hi"`, completionFieldCases)
	run("/v1/images/generations", `"prompt":"a fox"`, imageFieldCases)
	run("/v1/responses", `"model":"qwen3-max","input":"hi"`, responseFieldCases)

	// Unknown fields (vendor extensions) are accepted and recorded as
	// ignored, as is null for any field; the history API shows the list.
	resp := postJSON(t, e, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"top_k":5,"temperature":null,"seed":1}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("unknown field: %d", resp.StatusCode)
	}
	var got recordedIgnored
	got.load(t, e, resp.Header.Get("X-Request-Id"))
	if !slices.Equal(got, []string{"top_k", "seed"}) {
		t.Fatalf("ignored %v", got)
	}
	_, detail := getJSON(t, e, "GET", "/v1/requests/"+resp.Header.Get("X-Request-Id"))
	if b, _ := json.Marshal(detail["ignored_params"]); string(b) != `["top_k","seed"]` {
		t.Fatalf("history shows ignored_params %s", b)
	}
}

// recordedIgnored is a call's recorded ignored_params.
// checkFieldOutcome checks the answer to one value of a field: with a
// field named in tc.want, a 400 whose envelope names it (named reads the
// API's way of naming it); else an answer, whose record lists the field as
// ignored exactly when tc.want says so.
func checkFieldOutcome(t *testing.T, e *env, field string, tc fieldCase, resp *http.Response, named func(envelope) bool) {
	t.Helper()
	if tc.want != wantOK && tc.want != wantIgnored {
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != 400 || !named(env) {
			t.Errorf("%s %s: %d %+v, want 400 naming %s", field, tc.extra, resp.StatusCode, env.Error, tc.want)
		}
		return
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Errorf("%s %s: %d %s", field, tc.extra, resp.StatusCode, b)
		return
	}
	var ignored recordedIgnored
	ignored.load(t, e, resp.Header.Get("X-Request-Id"))
	if got := slices.Contains(ignored, field); got != (tc.want == wantIgnored) {
		t.Errorf("%s %s: recorded ignored %v, want %s", field, tc.extra, ignored, tc.want)
	}
}

type recordedIgnored []string

func (s *recordedIgnored) load(t *testing.T, e *env, requestID string) {
	t.Helper()
	var v *string
	if err := e.db().QueryRow(`SELECT ignored_params FROM requests WHERE request_id = ?`, requestID).Scan(&v); err != nil {
		t.Fatalf("request %s: %v", requestID, err)
	}
	*s = nil
	if v != nil {
		*s = strings.Split(*v, ",")
	}
}

// TestResponsesAndMessagesRecordTheirIgnoredFields: the Responses and
// Messages APIs record the fields a call sent without effect — their
// tables' ignored ones and unknown ones — as chat completions do (nothing
// was recorded for them); the fields they read are not named.
func TestResponsesAndMessagesRecordTheirIgnoredFields(t *testing.T) {
	e := start(t, nil)
	for _, tc := range []struct {
		path, body string
		want       []string
	}{
		{"/v1/responses", `{"model":"qwen3-max","input":"hi","instructions":"x","temperature":0.5,"user":"u","truncation":"auto","store":true}`,
			[]string{"temperature", "user", "truncation"}},
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"hi"}],"top_k":5,"metadata":{"user_id":"u"},"service_tier":"auto","stream":false}`,
			[]string{"top_k", "metadata", "service_tier"}}, // max_tokens is honoured
	} {
		resp := postJSON(t, e, tc.path, tc.body, nil)
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", tc.path, resp.StatusCode, b)
		}
		var got recordedIgnored
		got.load(t, e, resp.Header.Get("X-Request-Id"))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: ignored %v, want %v", tc.path, got, tc.want)
		}
	}
}

// TestResponsesRefuseStoredPrompts: a Responses call naming a stored prompt
// is a 400 naming the field, and nothing goes upstream; accepted without
// effect (as it was), its answer lacked the instructions the caller meant. A
// null value asks for none and passes, as does a null conversation (see
// conversations_test.go for a conversation).
func TestResponsesRefuseStoredPrompts(t *testing.T) {
	e := start(t, nil)
	for _, tc := range []struct{ field, value string }{
		{"prompt", `{"id":"pmpt_abc","version":"2","variables":{"city":"Oslo"}}`},
	} {
		before := len(e.sim.Calls())
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"go on",`+strconv.Quote(tc.field)+`:`+tc.value+`}`, nil)
		b, _ := io.ReadAll(resp.Body)
		var got struct {
			Error struct{ Code, Param, Message string }
		}
		json.Unmarshal(b, &got)
		if resp.StatusCode != http.StatusBadRequest || got.Error.Param != tc.field || got.Error.Code != "unsupported_parameter" {
			t.Errorf("%s %s: %d %s", tc.field, tc.value, resp.StatusCode, b)
		}
		if n := len(e.sim.Calls()) - before; n != 0 {
			t.Errorf("%s: %d calls upstream", tc.field, n)
		}
	}
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"hi","conversation":null,"prompt":null}`, nil)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Fatalf("null conversation and prompt: %d %s", resp.StatusCode, b)
	}
}
