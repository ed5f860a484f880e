package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// answeringUpstream stands before the simulator at sim and answers every
// completion with pieces, one answer delta each (Qwen's 2026 events),
// leaving the rest (models, new chats) to the simulator.
func answeringUpstream(t *testing.T, sim string, pieces ...string) string {
	t.Helper()
	target, err := url.Parse(sim)
	if err != nil {
		t.Fatal(err)
	}
	rest := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/chat/completions" {
			rest.ServeHTTP(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"response.created\":{\"chat_id\":%q,\"parent_id\":null,\"response_id\":\"answer-1\"}}\n\n", r.URL.Query().Get("chat_id"))
		for i, p := range pieces {
			delta, _ := json.Marshal(map[string]any{
				"choices": []any{map[string]any{"delta": map[string]any{"role": "assistant", "content": p, "phase": "answer", "status": "typing"}}},
				"usage":   map[string]any{"input_tokens": 10, "output_tokens": i + 1},
			})
			fmt.Fprintf(w, "data: %s\n\n", delta)
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"\",\"role\":\"assistant\",\"status\":\"finished\",\"phase\":\"answer\"}}]}\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// outputItem is what a Responses output item says, without its ids.
type outputItem struct {
	Type      string
	Text      string
	Name      string
	Arguments string
}

// finalResponse reads a Responses call's response: its body, or streamed,
// the one its response.completed event carries.
func finalResponse(t *testing.T, resp *http.Response, streamed bool) (final struct {
	ID     string
	Output json.RawMessage
}) {
	t.Helper()
	if !streamed {
		if err := json.NewDecoder(resp.Body).Decode(&final); err != nil {
			t.Fatal(err)
		}
		return final
	}
	events := sseData(t, resp)
	var completed struct{ Response json.RawMessage }
	if err := json.Unmarshal([]byte(events[len(events)-1]), &completed); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(completed.Response, &final); err != nil {
		t.Fatal(err)
	}
	return final
}

func outputItems(t *testing.T, raw json.RawMessage) []outputItem {
	t.Helper()
	var items []struct {
		ID, Type, Name, Arguments string
		Content                   []struct{ Text string }
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		t.Fatalf("output %s: %v", raw, err)
	}
	var out []outputItem
	for i, it := range items {
		o := outputItem{Type: it.Type, Name: it.Name}
		for _, c := range it.Content {
			o.Text += c.Text
		}
		if it.Arguments != "" {
			var args any
			if err := json.Unmarshal([]byte(it.Arguments), &args); err != nil {
				t.Fatalf("arguments %q: %v", it.Arguments, err)
			}
			b, _ := json.Marshal(args)
			o.Arguments = string(b)
		}
		if prefix := map[string]string{"message": "msg_", "function_call": "fc_"}[it.Type]; !strings.HasPrefix(it.ID, prefix) || !strings.HasSuffix(it.ID, fmt.Sprint(i)) {
			t.Errorf("item %d is %s", i, it.ID)
		}
		out = append(out, o)
	}
	return out
}

// An answer whose model wrote on after its call (text, the call, more text)
// is answered with its items in that order whether it is streamed or not:
// a message, the function_call, a message, as the stream sends them (and
// OpenAI lists a response's items as they came). The answer sent whole
// listed one message of all its text, then the call: a client that read
// the same answer streamed saw another response, and the record of each
// disagreed. An answer held back to check a strict call is sent so too.
func TestResponsesListTextAfterACallWhereItCame(t *testing.T) {
	e := start(t, nil)
	e.stop()
	e.cfg.QwenBaseURL = answeringUpstream(t, e.sim.URL, "I will look.\n",
		"<tool_call>\n{\"name\": \"shell\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>", "\nThen I will report.")
	e.boot()
	want := []outputItem{
		{Type: "message", Text: "I will look."},
		{Type: "function_call", Name: "shell", Arguments: `{"command":"ls"}`},
		{Type: "message", Text: "\n\nThen I will report."}, // resent, the message items join to the text the chat gave
	}
	const tool = `{"type":"function","name":"shell","parameters":{"type":"object","properties":{"command":{"type":"string"}},"required":["command"],"additionalProperties":false}%s}`
	for _, c := range []struct{ name, strict, stream string }{
		{"whole", "", ""},
		{"streamed", "", `,"stream":true`},
		{"held for its strict call", `,"strict":true`, `,"stream":true`},
	} {
		body := fmt.Sprintf(`{"model":"qwen3-max","input":"list the files","tools":[`+tool+`]%s}`, c.strict, c.stream)
		final := finalResponse(t, postJSON(t, e, "/v1/responses", body, nil), c.stream != "")
		got := outputItems(t, final.Output)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: output %+v, want %+v", c.name, got, want)
		}
		status, stored := getJSON(t, e, http.MethodGet, "/v1/responses/"+final.ID)
		raw, _ := json.Marshal(stored["output"])
		if kept := outputItems(t, raw); status != http.StatusOK || fmt.Sprint(kept) != fmt.Sprint(want) {
			t.Errorf("%s: GET %d %+v", c.name, status, kept)
		}
	}
}

// A searched answer with a call ends with its list of sources, after the
// call: the response sent whole lists it there too, in a message item of
// its own that cites the sources, as the stream does. It was joined to the
// text before the call.
func TestResponsesListTheSourcesAfterACall(t *testing.T) {
	e := start(t, nil)
	const body = `{"model":"qwen3-max-search","input":"use shell with {\"command\": \"ls\"}","tools":[{"type":"function","name":"shell","parameters":{"type":"object","properties":{"command":{"type":"string"}}}}]%s}`
	var outputs [2][]outputItem
	for i, stream := range []string{"", `,"stream":true`} {
		final := finalResponse(t, postJSON(t, e, "/v1/responses", fmt.Sprintf(body, stream), nil), stream != "")
		outputs[i] = outputItems(t, final.Output)
		var items []struct {
			Content []struct{ Annotations []json.RawMessage }
		}
		_ = json.Unmarshal(final.Output, &items)
		// The search's web_search_call item, the text, the call, the list.
		if n := len(items); n != 4 || outputs[i][0].Type != "web_search_call" || !strings.HasPrefix(strings.TrimSpace(outputs[i][3].Text), "Sources:") || len(items[3].Content[0].Annotations) != 2 {
			t.Errorf("stream %q: output %+v", stream, outputs[i])
		}
	}
	if fmt.Sprint(outputs[0]) != fmt.Sprint(outputs[1]) {
		t.Errorf("whole %+v, streamed %+v", outputs[0], outputs[1])
	}
	// Resent as history (store: false, as Codex resends it), the answer's
	// two message items are the one text its chat gave: the call's result
	// goes on in that chat.
	first := postJSON(t, e, "/v1/responses", fmt.Sprintf(body, `,"store":false`), nil)
	var answer struct {
		Output []json.RawMessage
	}
	if err := json.NewDecoder(first.Body).Decode(&answer); err != nil || len(answer.Output) != 4 {
		t.Fatalf("%v: %d items", err, len(answer.Output))
	}
	var call struct {
		CallID string `json:"call_id"`
	}
	_ = json.Unmarshal(answer.Output[2], &call)
	history, _ := json.Marshal(append(append([]json.RawMessage{json.RawMessage(`{"role":"user","content":"use shell with {\"command\": \"ls\"}"}`)},
		answer.Output...), json.RawMessage(fmt.Sprintf(`{"type":"function_call_output","call_id":%q,"output":"a.txt"}`, call.CallID))))
	next := postJSON(t, e, "/v1/responses", fmt.Sprintf(`{"model":"qwen3-max-search","store":false,"input":%s,"tools":[{"type":"function","name":"shell","parameters":{"type":"object"}}]}`, history), nil)
	if a, b := first.Header.Get("X-Session-Id"), next.Header.Get("X-Session-Id"); next.StatusCode != http.StatusOK || a == "" || a != b {
		t.Errorf("the resent answer's session is %q, the answer's %q (%d)", b, a, next.StatusCode)
	}
}

// With SEARCH_SOURCES=annotations a searched answer that ends with its call
// cites its sources in the message item before the call, streamed as when
// sent whole: announced once the answer is complete, and in the item as the
// completed response and the record give it. The stream had closed that
// item before the sources were read, and lost them.
func TestAStreamedResponseEndingWithACallCitesItsSources(t *testing.T) {
	e := start(t, func(c *config.Config) { c.SearchSources = "annotations" })
	const body = `{"model":"qwen3-max-search","input":"use shell with {\"command\": \"ls\"}","tools":[{"type":"function","name":"shell","parameters":{"type":"object","properties":{"command":{"type":"string"}}}}]%s}`
	type item struct {
		ID, Type string
		Content  []struct {
			Text        string
			Annotations []struct{ Type string }
		}
	}
	cited := func(raw json.RawMessage) string {
		var items []item
		if err := json.Unmarshal(raw, &items); err != nil {
			t.Fatalf("output %s: %v", raw, err)
		}
		var b strings.Builder
		for _, it := range items {
			fmt.Fprintf(&b, "%s", it.Type)
			for _, c := range it.Content {
				fmt.Fprintf(&b, "(%d)", len(c.Annotations))
			}
			b.WriteString(" ")
		}
		return b.String()
	}
	var whole struct{ Output json.RawMessage }
	if err := json.NewDecoder(postJSON(t, e, "/v1/responses", fmt.Sprintf(body, ""), nil).Body).Decode(&whole); err != nil {
		t.Fatal(err)
	}
	const want = "web_search_call message(2) function_call " // the search's item first
	if got := cited(whole.Output); got != want {
		t.Fatalf("whole: %s, want %s", got, want)
	}
	events := sseData(t, postJSON(t, e, "/v1/responses", fmt.Sprintf(body, `,"stream":true`), nil))
	var completed struct {
		Response struct {
			ID     string
			Output json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(events[len(events)-1]), &completed); err != nil {
		t.Fatal(err)
	}
	if got := cited(completed.Response.Output); got != want {
		t.Errorf("streamed: %s, want %s", got, want)
	}
	var items []item
	_ = json.Unmarshal(completed.Response.Output, &items)
	announced := 0
	for _, ev := range events {
		var a struct {
			Type   string
			ItemID string `json:"item_id"`
		}
		_ = json.Unmarshal([]byte(ev), &a)
		if a.Type == "response.output_text.annotation.added" && len(items) > 1 && a.ItemID == items[1].ID {
			announced++
		}
	}
	if announced != 2 {
		t.Errorf("%d annotations announced for %s", announced, items[1].ID)
	}
	status, stored := getJSON(t, e, http.MethodGet, "/v1/responses/"+completed.Response.ID)
	raw, _ := json.Marshal(stored["output"])
	if got := cited(raw); status != http.StatusOK || got != want {
		t.Errorf("GET %d: %s", status, got)
	}
}
