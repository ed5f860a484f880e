package e2e

import (
	"encoding/json"
	"io"
	"testing"

	"qwenproxy/internal/qwensim"
)

// A completed response says when it completed (completed_at, Unix
// seconds), as OpenAI's Response object does "only when the status is
// completed": answered whole, in the stream's response.completed, and as
// GET serves it. The stream's opening events (in_progress) and a failed
// response have none. The field was missing everywhere.
func TestACompletedResponseSaysWhenItCompleted(t *testing.T) {
	e := start(t, nil)
	type times struct {
		ID          string          `json:"id"`
		Status      string          `json:"status"`
		CreatedAt   int64           `json:"created_at"`
		CompletedAt json.RawMessage `json:"completed_at"`
	}
	completedAt := func(what string, raw []byte) times {
		t.Helper()
		var got times
		var at int64
		if err := json.Unmarshal(raw, &got); err != nil || got.Status != "completed" || json.Unmarshal(got.CompletedAt, &at) != nil || at < got.CreatedAt {
			t.Fatalf("%s: no completed_at at or after created_at: %v %s", what, err, raw)
		}
		return got
	}
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"when did you finish"}`, nil)
	body, _ := io.ReadAll(resp.Body)
	answered := completedAt("answer", body)
	got := readBody(t, send(t, e, "GET", "/v1/responses/"+answered.ID, "", "", nil))
	completedAt("GET", []byte(got))

	var streamed times
	for _, data := range sseData(t, postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"stream and finish","stream":true}`, nil)) {
		var ev struct {
			Type     string          `json:"type"`
			Response json.RawMessage `json:"response"`
		}
		if json.Unmarshal([]byte(data), &ev) != nil || ev.Response == nil {
			continue
		}
		if ev.Type == "response.completed" {
			streamed = completedAt(ev.Type, ev.Response)
			continue
		}
		var open times
		if json.Unmarshal(ev.Response, &open) != nil || open.CompletedAt != nil {
			t.Fatalf("%s has a completed_at: %s", ev.Type, ev.Response)
		}
	}
	if streamed.ID == "" {
		t.Fatal("no response.completed")
	}
	got = readBody(t, send(t, e, "GET", "/v1/responses/"+streamed.ID, "", "", nil))
	completedAt("GET of the streamed response", []byte(got))

	e.sim.Inject(qwensim.Fault{CutAfter: 2})
	var failed times
	for _, data := range sseData(t, postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"break off please","stream":true}`, nil)) {
		var ev struct {
			Type     string `json:"type"`
			Response times  `json:"response"`
		}
		if json.Unmarshal([]byte(data), &ev) == nil && ev.Type == "response.failed" {
			failed = ev.Response
		}
	}
	if failed.Status != "failed" || failed.CompletedAt != nil {
		t.Fatalf("failed response %+v", failed)
	}
}
