package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// TestAToolResultForNoCallIsRefused: a function_call_output under
// previous_response_id whose call_id names no call of that response, of
// its chain, or of the input is OpenAI's 400 "No tool call found for
// function call output with call_id …" (param input). Until 2026-12-07 it
// was accepted and Qwen was told "call_bogus said …". A result for the
// response's own call is answered, and so is one for a call of a response
// earlier in the chain.
func TestAToolResultForNoCallIsRefused(t *testing.T) {
	storetest.EachBackend(t, testAToolResultForNoCallIsRefused)
}

func testAToolResultForNoCallIsRefused(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	tools := `"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]`
	var first struct {
		ID     string `json:"id"`
		Output []struct {
			Type   string `json:"type"`
			CallID string `json:"call_id"`
		} `json:"output"`
	}
	if status, b := convCall(t, e, "POST", "/v1/responses", "", `{"model":"qwen3-max",`+tools+`,"input":"use get_weather with {\"city\": \"Oslo\"}"}`, &first); status != http.StatusOK {
		t.Fatalf("first answer: %d %s", status, b)
	}
	callID := ""
	for _, it := range first.Output {
		if it.Type == "function_call" {
			callID = it.CallID
		}
	}
	if callID == "" {
		t.Fatalf("no function call: %+v", first)
	}
	result := func(previous, callID string) (int, string) {
		return convCall(t, e, "POST", "/v1/responses", "", `{"model":"qwen3-max",`+tools+`,"previous_response_id":"`+previous+
			`","input":[{"type":"function_call_output","call_id":"`+callID+`","output":"sunny"}]}`, nil)
	}
	status, body := result(first.ID, "call_bogus")
	var refused struct {
		Error struct{ Type, Param, Message string }
	}
	_ = json.Unmarshal([]byte(body), &refused)
	if status != http.StatusBadRequest || refused.Error.Type != "invalid_request_error" || refused.Error.Param != "input" ||
		!strings.Contains(refused.Error.Message, "No tool call found for function call output with call_id call_bogus") {
		t.Fatalf("a result for no call: %d %s", status, body)
	}
	var second struct {
		ID string `json:"id"`
	}
	if status, b := convCall(t, e, "POST", "/v1/responses", "", `{"model":"qwen3-max",`+tools+`,"previous_response_id":"`+first.ID+
		`","input":[{"type":"function_call_output","call_id":"`+callID+`","output":"sunny"}]}`, &second); status != http.StatusOK || !strings.Contains(b, `get_weather said`) {
		t.Fatalf("the result for the response's call: %d %s", status, b)
	}
	// The call is the first response's, one back along the chain.
	if status, b := result(second.ID, callID); status != http.StatusOK || !strings.Contains(b, `get_weather said`) {
		t.Fatalf("a result for a call earlier in the chain: %d %s", status, b)
	}
}
