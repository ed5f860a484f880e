package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// A call whose client left before its answer was sent records, as the
// answer in the client's API, only what the client got: a stream held back
// whole for a check (a forced call, response_format) sent the role chunk or
// opening events alone, an answer sent whole sent nothing (499). The record
// kept the text Qwen had begun ("Let me do") as if the client had it, and
// the session's transcript showed it as the call's output. Qwen's side of
// the record keeps it: operators still see what Qwen produced.
func TestALeftCallRecordsOnlyWhatItsClientGot(t *testing.T) {
	const ask = `use get_weather with {\"city\": \"Oslo\"}`
	chatTools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"tool_choice":"required"`
	chatFormat := `"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object","properties":{"n":{"type":"integer"}}}}}`
	messagesTools := `"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],"tool_choice":{"type":"any"}`
	responsesTools := `"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}],"tool_choice":"required"`
	for _, c := range []struct{ name, path, body string }{
		{"chat streamed, forced call", "/v1/chat/completions", `{"model":"qwen3-max","stream":true,` + chatTools + `,"messages":[{"role":"user","content":"` + ask + `"}]}`},
		{"chat streamed, response_format", "/v1/chat/completions", `{"model":"qwen3-max","stream":true,` + chatFormat + `,"messages":[{"role":"user","content":"one two three four"}]}`},
		{"chat", "/v1/chat/completions", `{"model":"qwen3-max",` + chatTools + `,"messages":[{"role":"user","content":"` + ask + `"}]}`},
		{"messages streamed", "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"stream":true,` + messagesTools + `,"messages":[{"role":"user","content":"` + ask + `"}]}`},
		{"messages", "/v1/messages", `{"model":"qwen3-max","max_tokens":100,` + messagesTools + `,"messages":[{"role":"user","content":"` + ask + `"}]}`},
		{"responses streamed", "/v1/responses", `{"model":"qwen3-max","stream":true,` + responsesTools + `,"input":"` + ask + `"}`},
		{"responses", "/v1/responses", `{"model":"qwen3-max",` + responsesTools + `,"input":"` + ask + `"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := start(t, nil)
			e.sim.Inject(qwensim.Fault{StallAfter: 3}) // three pieces of the answer, then silence until the client leaves
			got := leaveOnceAnswering(t, e, c.path, c.body)
			streamed := strings.Contains(c.body, `"stream":true`)

			r := e.lastRow() // lastRow syncs: it waits for the handler to finish
			wantStatus := 499
			if streamed {
				wantStatus = http.StatusOK
			}
			if r.ErrorType != "client_disconnect" || r.HTTPStatus != wantStatus {
				t.Fatalf("row: error_type %q, http_status %d; want client_disconnect, %d", r.ErrorType, r.HTTPStatus, wantStatus)
			}
			upstream := qwenContent(t, r.QwenResponse.String)
			words := strings.Fields(upstream)
			if len(words) == 0 {
				t.Fatalf("Qwen's side of the record lost the answer Qwen began: %s", r.QwenResponse.String)
			}
			withheld := strings.Trim(words[0], `"{`)
			if strings.Contains(got, withheld) {
				t.Fatalf("the client was sent %q, which the answer held back: %s", withheld, got)
			}
			if strings.Contains(r.OpenAIResponse.String, withheld) {
				t.Errorf("the client's answer is recorded with %q (Qwen began %q), which it never got: %s", withheld, upstream, r.OpenAIResponse.String)
			}
			status, page := getJSON(t, e, http.MethodGet, "/v1/sessions/"+r.SessionID+"/transcript")
			if status != http.StatusOK {
				t.Fatalf("transcript: %d %v", status, page)
			}
			turns, _ := page["data"].([]any)
			if len(turns) != 1 {
				t.Fatalf("transcript: %v", page)
			}
			if out := turns[0].(map[string]any)["output"]; out != nil {
				t.Errorf("the transcript shows as the call's output what its client never got: %v", out)
			}
		})
	}
}

// leaveOnceAnswering posts body and leaves once Qwen's answer has begun
// (the live view gives the call a ttft_ms). It returns what the client was
// sent.
func leaveOnceAnswering(t *testing.T, e *env, path, body string) string {
	t.Helper()
	ctx, leave := context.WithCancel(ctxT(t))
	defer leave()
	done := make(chan string, 1)
	go func() {
		got := ""
		defer func() { done <- got }()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.app.URL()+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return // an answer sent whole: nothing came before the client left
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body) // until the client leaves
		got = string(b)
	}()
	for !answering(t, e) {
		if ctx.Err() != nil {
			t.Fatal("Qwen's answer never began")
		}
	}
	leave()
	return <-done
}

// answering reports whether the one call in progress has had Qwen's first
// token.
func answering(t *testing.T, e *env) bool {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, e.app.URL()+"/v1/requests/active", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Data []struct {
			TTFTMS *int64 `json:"ttft_ms"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("active calls: %d %v", resp.StatusCode, err)
	}
	return len(v.Data) == 1 && v.Data[0].TTFTMS != nil
}

// qwenContent is the answer's text in the record's Qwen side.
func qwenContent(t *testing.T, record string) string {
	t.Helper()
	var v struct {
		Data struct {
			Choices []struct {
				Message struct{ Content string }
			}
		}
	}
	if err := json.Unmarshal([]byte(record), &v); err != nil || len(v.Data.Choices) != 1 {
		t.Fatalf("Qwen's answer as recorded %q: %v", record, err)
	}
	return v.Data.Choices[0].Message.Content
}
