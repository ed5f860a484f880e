package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// cutRecord is what a recorded Responses answer says of its output.
type cutRecord struct {
	Status string
	Error  *struct{ Code string }
	Usage  *struct {
		OutputTokens int `json:"output_tokens"`
	}
	Output []struct {
		Type, Status, Name, Arguments string
		Content                       []struct{ Text string }
	}
}

func decodeCutRecord(t *testing.T, r row) cutRecord {
	t.Helper()
	var rec cutRecord
	if err := json.Unmarshal([]byte(r.OpenAIResponse.String), &rec); err != nil {
		t.Fatalf("recorded answer %q: %v", r.OpenAIResponse.String, err)
	}
	return rec
}

// streamResponses posts a streamed Responses call and hands each event's
// type and data to each until it returns false (the client then leaves).
func streamResponses(t *testing.T, e *env, ctx context.Context, body string, each func(typ string, data map[string]any) bool) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.app.URL()+"/v1/responses", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		data, ok := strings.CutPrefix(lines.Text(), "data: ")
		if !ok {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		typ, _ := ev["type"].(string)
		if !each(typ, ev) {
			return
		}
	}
}

// An agent interrupted mid-answer (Codex stopped with Ctrl-C) leaves a
// Responses call whose record keeps the text it had been streamed, as a
// message item cut short; it was recorded with no output at all and no
// error, so the history and the transcript showed no answer.
func TestResponsesClientLeavingMidStreamKeepsWhatItWasSent(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{StallAfter: 2}) // Qwen goes silent until the client leaves
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var sent strings.Builder
	streamResponses(t, e, ctx, `{"model":"gpt-5","stream":true,"input":"one two three four"}`, func(typ string, ev map[string]any) bool {
		if typ == "response.output_text.delta" {
			sent.WriteString(ev["delta"].(string))
		}
		return sent.String() != "You said:"
	})
	cancel()
	r := e.lastRow() // lastRow syncs: it waits for the handler to finish
	if r.ErrorType != "client_disconnect" || r.HTTPStatus != http.StatusOK || r.Responses != 1 {
		t.Fatalf("row %+v", r)
	}
	rec := decodeCutRecord(t, r)
	if rec.Status != "failed" || rec.Error == nil || rec.Error.Code != "client_closed" || rec.Usage == nil || rec.Usage.OutputTokens != r.CompletionTokens || len(rec.Output) != 1 ||
		rec.Output[0].Type != "message" || rec.Output[0].Status != "incomplete" ||
		len(rec.Output[0].Content) != 1 || rec.Output[0].Content[0].Text != sent.String() {
		t.Fatalf("the record does not keep what the client was sent (%q): %s", sent.String(), r.OpenAIResponse.String)
	}
}

// A Responses stream that breaks while a call's arguments are streaming
// keeps, in its record, the function_call item the client was sent with
// the arguments so far, incomplete (the record held only the message before
// it), and the client is never told the cut call is done, so that it does
// not run it.
func TestResponsesStreamCutMidCallRecordsTheCallSoFar(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{CutAfter: 8}) // within the call's arguments
	body := `{"model":"gpt-5","stream":true,"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}],` +
		`"input":"use get_weather with {\"city\": \"Oslo in Norway by the sea\"}"}`
	var arguments strings.Builder
	var callDone bool
	var last string
	streamResponses(t, e, ctxT(t), body, func(typ string, ev map[string]any) bool {
		last = typ
		switch typ {
		case "response.function_call_arguments.delta":
			arguments.WriteString(ev["delta"].(string))
		case "response.output_item.done":
			callDone = callDone || ev["item"].(map[string]any)["type"] == "function_call"
		}
		return true
	})
	if last != "response.failed" || arguments.Len() == 0 || callDone {
		t.Fatalf("the stream ended with %s after arguments %q (a call done: %v): the fault did not cut the call", last, arguments.String(), callDone)
	}
	r := e.lastRow()
	rec := decodeCutRecord(t, r)
	if r.ErrorType != "upstream_stream_cut" || rec.Usage == nil || len(rec.Output) != 2 || rec.Output[1].Type != "function_call" ||
		rec.Output[1].Status != "incomplete" || rec.Output[1].Name != "get_weather" || rec.Output[1].Arguments != arguments.String() {
		t.Fatalf("the record lost the call the client was sent (arguments %q): %s", arguments.String(), r.OpenAIResponse.String)
	}
	// Continued by previous_response_id in a new chat (Qwen forgot the
	// old one), the conversation is rebuilt from the record without the
	// cut call: it was never run, and has no result to go with it.
	id := strings.Split(strings.Split(r.OpenAIResponse.String, `"id":"`)[1], `"`)[0]
	e.sim.ForgetChats()
	_, text := answeredResponse(t, e, `{"model":"gpt-5","previous_response_id":"`+id+`","input":"try again"}`)
	if told := e.lastRow().QwenRequest.String; !strings.Contains(text, "Oslo") || strings.Contains(told, "Assistant (call ") {
		t.Fatalf("the new chat was not told the conversation without the cut call: answered %q; told %s", text, told)
	}
}
