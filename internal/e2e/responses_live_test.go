package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/qwensim"
)

// A streamed response whose id its client has (response.created) is served
// by GET /v1/responses/{id} as OpenAI serves it, in_progress, while it
// runs: until 2026-12-06 it was a 404 until its call was recorded. Its
// input_items are listed; it cannot be deleted (409) nor cancelled (400:
// not a background response) while it runs. Once its call ends — here its
// client leaves — the recorded object is served, as before.
func TestAStreamedResponseIsServedInProgress(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{StallAfter: 2}) // Qwen goes silent until the client leaves
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var id string
	streamResponses(t, e, ctx, `{"model":"gpt-5","stream":true,"input":"one two three four","metadata":{"k":"v"}}`, func(typ string, ev map[string]any) bool {
		switch typ {
		case "response.created":
			id = ev["response"].(map[string]any)["id"].(string)
			return true
		case "response.output_text.delta":
		default:
			return true
		}
		status, got := getJSON(t, e, http.MethodGet, "/v1/responses/"+id)
		if status != http.StatusOK || got["id"] != id || got["object"] != "response" || got["status"] != "in_progress" || got["completed_at"] != nil {
			t.Fatalf("GET of the response in progress: %d %v", status, got)
		}
		if output, ok := got["output"].([]any); !ok || got["metadata"].(map[string]any)["k"] != "v" || got["model"] == "" {
			t.Fatalf("the response in progress is not the response's: output %v, %v", output, got)
		}
		status, items := getJSON(t, e, http.MethodGet, "/v1/responses/"+id+"/input_items")
		data, _ := items["data"].([]any)
		listed, _ := json.Marshal(data)
		if status != http.StatusOK || len(data) != 1 || !strings.Contains(string(listed), "one two three four") {
			t.Fatalf("input_items of the response in progress: %d %v", status, items)
		}
		status, refused := getJSON(t, e, http.MethodDelete, "/v1/responses/"+id)
		if code := refused["error"].(map[string]any)["code"]; status != http.StatusConflict || code != "response_in_progress" {
			t.Fatalf("DELETE of the response in progress: %d %v", status, refused)
		}
		status, refused = getJSON(t, e, http.MethodPost, "/v1/responses/"+id+"/cancel")
		if code := refused["error"].(map[string]any)["code"]; status != http.StatusBadRequest || code != "response_not_cancellable" {
			t.Fatalf("cancel of the response in progress: %d %v", status, refused)
		}
		return false // the client leaves
	})
	if id == "" {
		t.Fatal("no response.created")
	}
	cancel()
	e.lastRow() // waits for the call to be recorded
	status, got := getJSON(t, e, http.MethodGet, "/v1/responses/"+id)
	if status != http.StatusOK || got["status"] != "failed" || got["error"].(map[string]any)["code"] != "client_closed" {
		t.Fatalf("GET once the call ended is not its record: %d %v", status, got)
	}
	status, _ = getJSON(t, e, http.MethodDelete, "/v1/responses/"+id)
	if status != http.StatusOK {
		t.Fatalf("DELETE once recorded: %d", status)
	}
}

// A non-streamed call's response is served in progress too while the call
// waits for Qwen (its id is its call's request id, which GET
// /v1/requests/active shows); one asked with store false is not, as it is
// not once recorded; and the entry goes with the call, however it ends:
// here its client leaves, and the recorded response, failed, is served, as
// before.
func TestANonStreamedResponseIsServedInProgressWhileItWaits(t *testing.T) {
	e := start(t, nil)
	for _, stored := range []bool{true, false} {
		reached := make(chan struct{}, 1)
		e.sim.Inject(qwensim.Fault{Delay: time.Hour, Reached: reached}) // until the client leaves
		ctx, cancel := context.WithCancel(ctxT(t))
		done := make(chan struct{})
		body := `{"model":"gpt-5","input":"hello there"}`
		if !stored {
			body = `{"model":"gpt-5","input":"hello there","store":false}`
		}
		go func() {
			defer close(done)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.app.URL()+"/v1/responses", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		select { // Qwen is asked: the call waits for its answer
		case <-reached:
		case <-ctxT(t).Done():
			t.Fatal("the call never reached Qwen")
		}
		active := activeCalls(t, e)
		if len(active) != 1 {
			t.Fatalf("calls in progress: %v", active)
		}
		requestID := active[0].(map[string]any)["request_id"].(string)
		id := "resp_" + strings.ReplaceAll(requestID, "-", "")
		status, got := getJSON(t, e, http.MethodGet, "/v1/responses/"+id)
		switch {
		case stored && (status != http.StatusOK || got["status"] != "in_progress" || got["id"] != id || got["store"] != true):
			t.Fatalf("GET of the response waiting for Qwen: %d %v", status, got)
		case !stored && status != http.StatusNotFound:
			t.Fatalf("GET of a response not stored, waiting for Qwen: %d %v", status, got)
		}
		cancel()
		<-done
		for len(activeCalls(t, e)) > 0 { // its record is queued
			if err := ctxT(t).Err(); err != nil {
				t.Fatal("the call that left never ended")
			}
		}
		status, got = getJSON(t, e, http.MethodGet, "/v1/responses/"+id)
		switch {
		case stored && (status != http.StatusOK || got["status"] != "failed"):
			t.Fatalf("GET once the call failed is not its record: %d %v", status, got)
		case !stored && status != http.StatusNotFound:
			t.Fatalf("GET of a response not stored once its call failed: %d %v", status, got)
		}
	}
}

// The response in progress has the output items its stream has sent done:
// here the reasoning, once the message after it has begun.
func TestAResponseInProgressHasTheItemsSentSoFar(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{StallAfter: 2}) // after the reasoning and two pieces of the answer
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var id, reasoned string
	streamResponses(t, e, ctx, `{"model":"gpt-5","stream":true,"reasoning":{"effort":"high","summary":"auto"},"input":"one two three four"}`, func(typ string, ev map[string]any) bool {
		switch typ {
		case "response.created":
			id = ev["response"].(map[string]any)["id"].(string)
			return true
		case "response.output_item.done":
			b, _ := json.Marshal(ev["item"])
			reasoned = string(b)
			return true
		case "response.output_text.delta":
		default:
			return true
		}
		status, got := getJSON(t, e, http.MethodGet, "/v1/responses/"+id)
		output, _ := got["output"].([]any)
		if status != http.StatusOK || got["status"] != "in_progress" || len(output) != 1 {
			t.Fatalf("GET of the response in progress: %d %v", status, got)
		}
		if b, _ := json.Marshal(output[0]); reasoned == "" || string(b) != reasoned {
			t.Fatalf("the item in progress is %s, not the one sent done, %s", b, reasoned)
		}
		return false
	})
	if id == "" {
		t.Fatal("no response.created")
	}
}
