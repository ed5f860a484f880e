package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
)

// POST /v1/responses/input_tokens takes a request without input, as OpenAI
// documents the route (input is optional there; the SDKs'
// responses.inputTokens.count types it so): the count is then the
// instructions' and tools'. It was a 400 "input is required", held to
// what POST /v1/responses needs to ask Qwen something. What is sent is
// still held to the same rules: an empty list, a bad item, no model.
func TestInputTokensCountsARequestWithoutInput(t *testing.T) {
	e := start(t, nil)
	count := func(body string) (int, int) {
		t.Helper()
		resp := postJSON(t, e, "/v1/responses/input_tokens", body, nil)
		b := readBody(t, resp)
		var got struct {
			Object      string `json:"object"`
			InputTokens int    `json:"input_tokens"`
		}
		if resp.StatusCode == http.StatusOK && (json.Unmarshal([]byte(b), &got) != nil || got.Object != "response.input_tokens") {
			t.Fatalf("%s: %s", body, b)
		}
		return resp.StatusCode, got.InputTokens
	}
	tool := `"tools":[{"type":"function","name":"read_file","description":"Reads a file.","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}]`
	bare, none := count(`{"model":"qwen3-max"}`)
	instructed, instructions := count(`{"model":"qwen3-max","instructions":"Answer in one short sentence."}`)
	tooled, tools := count(`{"model":"qwen3-max","instructions":"Answer in one short sentence.",` + tool + `}`)
	if bare != http.StatusOK || instructed != http.StatusOK || tooled != http.StatusOK || none != 0 || instructions <= 0 || tools <= instructions {
		t.Fatalf("without input: bare %d (%d tokens), instructions %d (%d), with a tool %d (%d)", bare, none, instructed, instructions, tooled, tools)
	}
	for _, body := range []string{
		`{"model":"qwen3-max","input":[]}`,
		`{"model":"qwen3-max","input":5}`,
		`{"model":"qwen3-max","input":[{"type":"bogus"}]}`,
		`{"instructions":"no model"}`,
	} {
		if status, _ := count(body); status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", body, status)
		}
	}
	if n := len(e.rows()); n != 0 {
		t.Fatalf("%d calls recorded", n)
	}
}
