package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A searched Responses answer shows its search as OpenAI's does: a
// web_search_call item (action search, with Qwen's query; its sources when
// include asks for web_search_call.action.sources) before the message,
// streamed as output_item.added, response.web_search_call.in_progress,
// .searching, .completed and output_item.done. There was none ("Qwen's
// search is not a call the client sees"), though Qwen's stream says what it
// searched for. A client that resends the items (Codex) goes on in the same
// chat.
func TestResponsesSearchIsAWebSearchCallItem(t *testing.T) {
	e := start(t, nil)
	type item struct {
		ID     string `json:"id"`
		Type   string `json:"type"`
		Status string `json:"status"`
		Action *struct {
			Type    string `json:"type"`
			Query   string `json:"query"`
			Sources *[]struct {
				Type, URL string
			} `json:"sources"`
		} `json:"action"`
	}
	ask := func(extra string) ([]item, []json.RawMessage, string) {
		t.Helper()
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"web_search"}],"input":"news of Oslo"`+extra+`}`, nil)
		body := readBody(t, resp)
		var out struct {
			Output []json.RawMessage `json:"output"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil {
			t.Fatalf("%s: %d %s", extra, resp.StatusCode, body)
		}
		var items []item
		for _, raw := range out.Output {
			var it item
			_ = json.Unmarshal(raw, &it)
			items = append(items, it)
		}
		return items, out.Output, resp.Header.Get("X-Session-Id")
	}
	items, raw, _ := ask("")
	if len(items) != 2 || items[0].Type != "web_search_call" || items[0].Status != "completed" || !strings.HasPrefix(items[0].ID, "ws_") ||
		items[0].Action == nil || items[0].Action.Type != "search" || items[0].Action.Query != "news of Oslo" || items[0].Action.Sources != nil || items[1].Type != "message" {
		t.Fatalf("want a web_search_call (without sources) before the message: %s", raw)
	}
	items, raw, _ = ask(`,"include":["web_search_call.action.sources"]`)
	if s := items[0].Action.Sources; s == nil || len(*s) != 2 || (*s)[0].Type != "url" || !strings.HasPrefix((*s)[0].URL, "https://example.com/") {
		t.Fatalf("include asked for the sources: %s", raw)
	}

	// Resent as Codex resends them, the items go on in the same chat.
	var input []json.RawMessage
	input = append(input, json.RawMessage(`{"role":"user","content":"news of Oslo"}`))
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"web_search"}],"input":"news of Oslo"}`, nil)
	body := readBody(t, resp)
	var out struct {
		Output []json.RawMessage `json:"output"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	session := resp.Header.Get("X-Session-Id")
	input = append(input, out.Output...)
	input = append(input, json.RawMessage(`{"role":"user","content":"and Bergen?"}`))
	next, _ := json.Marshal(map[string]any{"model": "qwen3-max", "tools": []any{map[string]string{"type": "web_search"}}, "input": input})
	resp = postJSON(t, e, "/v1/responses", string(next), nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || resp.Header.Get("X-Session-Id") != session || !strings.Contains(body, "Earlier answers of mine: 1") {
		t.Fatalf("the resent items: %d (session %s, want %s) %s", resp.StatusCode, resp.Header.Get("X-Session-Id"), session, body)
	}

	// Streamed.
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","stream":true,"include":["web_search_call.action.sources"],"tools":[{"type":"web_search"}],"input":"news of Oslo"}`, nil)
	var types []string
	var added, done item
	for _, data := range sseData(t, resp) {
		var ev struct {
			Type        string `json:"type"`
			OutputIndex int    `json:"output_index"`
			Item        item   `json:"item"`
			ItemID      string `json:"item_id"`
		}
		if json.Unmarshal([]byte(data), &ev) != nil {
			t.Fatalf("not JSON: %s", data)
		}
		if ev.Item.Type == "web_search_call" || strings.HasPrefix(ev.Type, "response.web_search_call.") {
			types = append(types, ev.Type)
			if ev.OutputIndex != 0 {
				t.Errorf("%s at output_index %d, want 0: %s", ev.Type, ev.OutputIndex, data)
			}
		}
		switch {
		case ev.Type == "response.output_item.added" && ev.Item.Type == "web_search_call":
			added = ev.Item
		case ev.Type == "response.output_item.done" && ev.Item.Type == "web_search_call":
			done = ev.Item
		}
	}
	want := "response.output_item.added response.web_search_call.in_progress response.web_search_call.searching response.web_search_call.completed response.output_item.done"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("events of the search:\n got %s\nwant %s", got, want)
	}
	if added.Status != "in_progress" || added.Action == nil || added.Action.Query != "news of Oslo" ||
		done.Status != "completed" || done.Action == nil || done.Action.Sources == nil || len(*done.Action.Sources) != 2 {
		t.Fatalf("added %+v, done %+v", added, done)
	}
}
