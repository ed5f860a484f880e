package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestResponsesSDKRoutes: the Responses routes the OpenAI SDKs call beside
// create, get and delete were answered "method POST is not allowed …;
// allowed: DELETE, GET, HEAD", their last segment taken for an id.
// input_tokens is an estimate that grows with the input and the tools;
// cancel finds the response and says there is nothing to cancel (compact
// is TestResponsesCompactIsQwensSummaryInTheChat's). Nothing goes upstream.
func TestResponsesSDKRoutes(t *testing.T) {
	e := start(t, nil)
	count := func(body string) int {
		t.Helper()
		resp := postJSON(t, e, "/v1/responses/input_tokens", body, nil)
		b, _ := io.ReadAll(resp.Body)
		var got struct {
			Object      string `json:"object"`
			InputTokens int    `json:"input_tokens"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &got) != nil || got.Object != "response.input_tokens" || got.InputTokens <= 0 {
			t.Fatalf("%s: %d %s", body, resp.StatusCode, b)
		}
		return got.InputTokens
	}
	before := len(upstreamCompletions(t, e.sim))
	short := count(`{"model":"qwen3-max","input":"hi"}`)
	long := count(`{"model":"qwen3-max","input":"` + strings.Repeat("a longer question ", 40) + `"}`)
	tooled := count(`{"model":"qwen3-max","input":"hi","tools":[{"type":"function","name":"read_file","description":"Reads a file.","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}]}`)
	if !(long > short && tooled > short) {
		t.Fatalf("estimates: short %d, long %d, with a tool %d", short, long, tooled)
	}
	if resp := postJSON(t, e, "/v1/responses/input_tokens", `{"input":"hi"}`, nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("input_tokens without a model: %d", resp.StatusCode)
	}

	created := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"hi"}`, nil)
	var obj struct{ ID string }
	b, _ := io.ReadAll(created.Body)
	if json.Unmarshal(b, &obj) != nil || obj.ID == "" {
		t.Fatalf("create: %s", b)
	}
	e.sync()
	resp := postJSON(t, e, "/v1/responses/"+obj.ID+"/cancel", ``, nil)
	if env := decodeEnvelope(t, resp); resp.StatusCode != http.StatusBadRequest || env.Error.Code == nil || *env.Error.Code != "response_not_cancellable" {
		t.Fatalf("cancel: %d %+v", resp.StatusCode, env.Error)
	}
	if resp := postJSON(t, e, "/v1/responses/resp_unknown/cancel", ``, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("cancel of an unknown response: %d", resp.StatusCode)
	}
	if n := len(upstreamCompletions(t, e.sim)) - before; n != 1 {
		t.Fatalf("%d completions upstream, want the one create", n)
	}
}

// GET of a response with stream=true (OpenAI's, for a response running in
// the background) is refused with a clear error: it was answered with the
// JSON object, which the SDKs read as a stream of no events and no error.
func TestARetrievedResponseIsNotStreamed(t *testing.T) {
	e := start(t, nil)
	var created struct {
		ID string `json:"id"`
	}
	if b := readBody(t, postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"hi"}`, nil)); json.Unmarshal([]byte(b), &created) != nil || created.ID == "" {
		t.Fatalf("%s", b)
	}
	e.sync()
	for query, want := range map[string]int{"?stream=true": 400, "?stream=1": 400, "?stream=maybe": 400, "?stream=false": 200, "": 200} {
		resp := send(t, e, "GET", "/v1/responses/"+created.ID+query, "", "", nil)
		b := readBody(t, resp)
		if resp.StatusCode != want || want == 400 && !strings.Contains(b, `"param":"stream"`) {
			t.Errorf("GET %s: %d %s, want %d", query, resp.StatusCode, b, want)
		}
	}
}
