package e2e

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// TestResponsesEchoTheirSettings: the response object carries the
// request's temperature, top_p and truncation, as OpenAI's does and the
// SDKs type it (temperature and top_p are always there, null when not
// sent): they were missing, and truncation said "disabled" when the call
// asked for "auto". The same holds streamed and for GET.
func TestResponsesEchoTheirSettings(t *testing.T) {
	e := start(t, nil)
	type echo struct {
		ID          string   `json:"id"`
		Temperature *float64 `json:"temperature"`
		TopP        *float64 `json:"top_p"`
		Truncation  string   `json:"truncation"`
	}
	check := func(what string, raw []byte, wantT, wantP *float64, wantTrunc string) echo {
		t.Helper()
		var keys map[string]json.RawMessage
		var got echo
		if json.Unmarshal(raw, &keys) != nil || json.Unmarshal(raw, &got) != nil {
			t.Fatalf("%s: not a response object: %s", what, raw)
		}
		_, hasT := keys["temperature"]
		_, hasP := keys["top_p"]
		same := func(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
		if !hasT || !hasP || !same(got.Temperature, wantT) || !same(got.TopP, wantP) || got.Truncation != wantTrunc {
			t.Errorf("%s: temperature %s top_p %s truncation %q", what, keys["temperature"], keys["top_p"], got.Truncation)
		}
		return got
	}
	temp, topP := 0.3, 0.9
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"hi","temperature":0.3,"top_p":0.9,"truncation":"auto"}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	created := check("answer", b, &temp, &topP, "auto")

	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"hi"}`, nil)
	b, _ = io.ReadAll(resp.Body)
	check("answer without settings", b, nil, nil, "disabled")

	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"hi","stream":true,"temperature":0.3,"top_p":0.9,"truncation":"auto"}`, nil)
	b, _ = io.ReadAll(resp.Body)
	completed := false
	for _, line := range strings.Split(string(b), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || !strings.Contains(data, `"type":"response.completed"`) {
			continue
		}
		var ev struct {
			Response json.RawMessage `json:"response"`
		}
		json.Unmarshal([]byte(data), &ev)
		check("response.completed", ev.Response, &temp, &topP, "auto")
		completed = true
	}
	if !completed {
		t.Fatalf("no response.completed in the stream:\n%s", b)
	}

	e.sync()
	got := send(t, e, "GET", "/v1/responses/"+created.ID, "", "", nil)
	b, _ = io.ReadAll(got.Body)
	check("GET", b, &temp, &topP, "auto")
}

// A response echoes the request's settings that have no effect as OpenAI's
// response object has them (null, false or 0 when not sent), and names the
// tier that served it: they were left out, which typed clients read as
// missing fields.
func TestAResponseEchoesItsSettings(t *testing.T) {
	e := start(t, nil)
	for body, want := range map[string]map[string]any{
		`{"model":"qwen3-max","input":"Hi","user":"u1","service_tier":"flex","background":true,"top_logprobs":0,"prompt_cache_key":"pk","prompt_cache_retention":"24h","safety_identifier":"s","max_tool_calls":3}`: {
			"user": "u1", "service_tier": "default", "background": true, "top_logprobs": float64(0), "prompt_cache_key": "pk", "prompt_cache_retention": "24h", "safety_identifier": "s", "max_tool_calls": float64(3)},
		`{"model":"qwen3-max","input":"Hi"}`: {
			"user": nil, "service_tier": "default", "background": false, "top_logprobs": float64(0), "prompt_cache_key": nil, "prompt_cache_retention": nil, "safety_identifier": nil, "max_tool_calls": nil},
	} {
		var got map[string]any
		if b := readBody(t, postJSON(t, e, "/v1/responses", body, nil)); json.Unmarshal([]byte(b), &got) != nil {
			t.Fatalf("%s: %s", body, b)
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				t.Errorf("%s: %s is %v (present %v), want %v", body, k, g, ok, v)
			}
		}
	}
}

// The reasoning echo has both of OpenAI's keys, null when not sent: a
// request with an effort alone was echoed {"effort":"low"}.
func TestAResponseEchoesItsReasoningWhole(t *testing.T) {
	e := start(t, nil)
	for body, want := range map[string]string{
		`{"model":"qwen3-max","input":"Hi","reasoning":{"effort":"low"}}`:                       `{"effort":"low","summary":null}`,
		`{"model":"qwen3-max","input":"Hi","reasoning":{"summary":"auto"}}`:                     `{"effort":null,"summary":"auto"}`,
		`{"model":"qwen3-max","input":"Hi","reasoning":{"effort":"high","summary":"detailed"}}`: `{"effort":"high","summary":"detailed"}`,
		`{"model":"qwen3-max","input":"Hi","reasoning":null}`:                                   `{"effort":null,"summary":null}`,
		`{"model":"qwen3-max","input":"Hi"}`:                                                    `{"effort":null,"summary":null}`,
	} {
		var got struct {
			Reasoning json.RawMessage `json:"reasoning"`
		}
		if b := readBody(t, postJSON(t, e, "/v1/responses", body, nil)); json.Unmarshal([]byte(b), &got) != nil || string(got.Reasoning) != want {
			t.Errorf("%s: reasoning %s, want %s", body, got.Reasoning, want)
		}
	}
}
