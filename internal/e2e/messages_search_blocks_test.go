package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A Messages answer that searched with Anthropic's web search server tool
// shows the search as Anthropic's does: a server_tool_use block (name
// web_search, the query Qwen searched for as its input) and its
// web_search_tool_result (a web_search_result per page: url, title) before
// the text, streamed (the call's input as one input_json_delta, the result
// whole in its content_block_start) or not, and the usage's server_tool_use
// counts the searches. There were no such blocks and server_tool_use was
// null, so Claude Code's WebSearch found no results ("Did 0 searches") and
// a client could not tell the answer searched. Without the tool declared
// (the -search variant) no blocks are sent; the usage still counts.
func TestAnthropicsSearchIsAServerToolUseAndItsResult(t *testing.T) {
	e := start(t, nil)
	type block struct {
		Type      string          `json:"type"`
		ID        string          `json:"id"`
		Name      string          `json:"name"`
		Input     json.RawMessage `json:"input"`
		ToolUseID string          `json:"tool_use_id"`
		Content   []struct {
			Type, URL, Title string
		} `json:"content"`
		Text string `json:"text"`
	}
	type usage struct {
		ServerToolUse *struct {
			WebSearchRequests int `json:"web_search_requests"`
		} `json:"server_tool_use"`
	}
	check := func(name string, blocks []block, u usage) {
		t.Helper()
		if len(blocks) != 3 || blocks[0].Type != "server_tool_use" || blocks[0].Name != "web_search" || !strings.HasPrefix(blocks[0].ID, "srvtoolu_") ||
			string(blocks[0].Input) != `{"query":"news of Oslo"}` ||
			blocks[1].Type != "web_search_tool_result" || blocks[1].ToolUseID != blocks[0].ID || len(blocks[1].Content) != 2 ||
			blocks[1].Content[0].Type != "web_search_result" || !strings.HasPrefix(blocks[1].Content[0].URL, "https://example.com/") || blocks[1].Content[0].Title == "" ||
			blocks[2].Type != "text" || !strings.Contains(blocks[2].Text, "Sources:") {
			t.Errorf("%s: blocks %+v", name, blocks)
		}
		if u.ServerToolUse == nil || u.ServerToolUse.WebSearchRequests != 1 {
			t.Errorf("%s: usage %+v", name, u)
		}
	}
	const tool = `"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":8}]`
	const ask = `"messages":[{"role":"user","content":"news of Oslo"}]`
	resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":100,`+tool+`,`+ask+`}`, nil)
	body := readBody(t, resp)
	var whole struct {
		Content []block `json:"content"`
		Usage   usage   `json:"usage"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &whole) != nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	check("whole", whole.Content, whole.Usage)
	session := resp.Header.Get("X-Session-Id")

	// Resent as history, the blocks go on in the same chat.
	history, _ := json.Marshal(whole.Content)
	resp = postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":100,`+tool+`,"messages":[{"role":"user","content":"news of Oslo"},{"role":"assistant","content":`+string(history)+`},{"role":"user","content":"and Bergen?"}]}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || resp.Header.Get("X-Session-Id") != session || !strings.Contains(body, "Earlier answers of mine: 1") {
		t.Errorf("resent: %d (session %s, want %s) %s", resp.StatusCode, resp.Header.Get("X-Session-Id"), session, body)
	}

	// Streamed: each block as Anthropic streams it.
	resp = postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"stream":true,`+tool+`,`+ask+`}`, nil)
	var blocks []block
	var u usage
	for _, data := range sseData(t, resp) {
		var ev struct {
			Type         string `json:"type"`
			Index        int    `json:"index"`
			ContentBlock block  `json:"content_block"`
			Delta        struct {
				Type        string `json:"type"`
				Text        string `json:"text"`
				PartialJSON string `json:"partial_json"`
			} `json:"delta"`
			Usage usage `json:"usage"`
		}
		if json.Unmarshal([]byte(data), &ev) != nil {
			t.Fatalf("not JSON: %s", data)
		}
		switch ev.Type {
		case "content_block_start":
			if ev.Index != len(blocks) {
				t.Fatalf("block %d opened at index %d", len(blocks), ev.Index)
			}
			if ev.ContentBlock.Type == "server_tool_use" && string(ev.ContentBlock.Input) != "{}" {
				t.Errorf("a server_tool_use opens with an empty input: %s", data)
			}
			if ev.ContentBlock.Type == "server_tool_use" {
				ev.ContentBlock.Input = nil
			}
			blocks = append(blocks, ev.ContentBlock)
		case "content_block_delta":
			b := &blocks[ev.Index]
			b.Text += ev.Delta.Text
			b.Input = append(b.Input, ev.Delta.PartialJSON...)
		case "message_delta":
			u = ev.Usage
		}
	}
	check("streamed", blocks, u)

	// The -search variant without the tool: no blocks, the searches counted.
	resp = postJSON(t, e, "/v1/messages", `{"model":"qwen3-max-search","max_tokens":100,`+ask+`}`, nil)
	body = readBody(t, resp)
	whole.Content, whole.Usage = nil, usage{}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &whole) != nil || len(whole.Content) != 1 || whole.Content[0].Type != "text" ||
		whole.Usage.ServerToolUse == nil || whole.Usage.ServerToolUse.WebSearchRequests != 1 {
		t.Errorf("-search: %d %s", resp.StatusCode, body)
	}
}
