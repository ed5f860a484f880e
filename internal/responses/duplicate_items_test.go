package responses

import (
	"encoding/json"
	"net/http"
	"testing"

	"qwenproxy/internal/openai"
)

// Two input items with one id are refused as OpenAI refuses them, in its
// words. They were taken, and GET …/input_items listed both under the id:
// after names one item, the first, so paging past the second (as the SDKs
// page, after the last item's id) came back to it and never ended.
func TestTwoInputItemsWithOneIDAreRefused(t *testing.T) {
	const msg = "Duplicate item found with id msg_a. Remove duplicate items from your input and try again."
	for body, refused := range map[string]bool{
		`{"model":"m","input":[{"type":"message","id":"msg_a","role":"user","content":"a"},{"type":"message","id":"msg_a","role":"user","content":"b"}]}`:                                                                                  true,
		`{"model":"m","input":[{"type":"function_call","id":"msg_a","call_id":"c1","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"x"},{"type":"message","id":"msg_a","role":"user","content":"b"}]}`: true,
		`{"model":"m","input":[{"type":"message","id":"msg_a","role":"user","content":"a"},{"type":"message","id":"msg_b","role":"user","content":"b"}]}`:                                                                                  false,
		`{"model":"m","input":[{"type":"message","role":"user","content":"a"},{"type":"message","role":"user","content":"b"}]}`:                                                                                                            false,
	} {
		var r Request
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		err := r.Validate()
		if !refused {
			if err != nil {
				t.Errorf("%s: %v, want it taken", body, err)
			}
			continue
		}
		if err == nil || err.Status != http.StatusBadRequest || err.Type != openai.TypeInvalidRequest || err.Param != "input" || err.Code != "" || err.Message != msg {
			t.Errorf("%s: %+v, want a 400 at input: %s", body, err, msg)
		}
	}
}
