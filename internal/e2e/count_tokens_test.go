package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"qwenproxy/internal/qwensim"
)

// count_tokens holds a request to what /v1/messages holds it to — an MCP
// server, a web search on a model without search, an image to a model
// without vision are 400s on both (count_tokens answered them) — and counts
// an image by its size (it counted none).
func TestCountTokensRefusesWhatMessagesRefusesAndCountsImages(t *testing.T) {
	e := start(t, nil)
	img := `{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + base64.StdEncoding.EncodeToString(testPNG(t)) + `"}}`
	user := func(content string) string { return `"messages":[{"role":"user","content":` + content + `}]` }
	for name, body := range map[string]string{
		"an MCP server":             `{"model":"qwen3-max","mcp_servers":[{"type":"url","url":"https://example.com/mcp","name":"x"}],` + user(`"hi"`) + `}`,
		"a search without search":   `{"model":"qwen3-vl-plus","tools":[{"type":"web_search_20250305","name":"web_search"}],` + user(`"hi"`) + `}`,
		"an image without vision":   `{"model":"` + qwensim.TextOnlyModel + `",` + user(`[`+img+`,{"type":"text","text":"what"}]`) + `}`,
		"an image that is no image": `{"model":"qwen3-max",` + user(`[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"aGVsbG8="}}]`) + `}`,
	} {
		count := postJSON(t, e, "/v1/messages/count_tokens", body, nil)
		countBody := readBody(t, count)
		var withMax map[string]any
		_ = json.Unmarshal([]byte(body), &withMax)
		withMax["max_tokens"] = 10
		b, _ := json.Marshal(withMax)
		messages := postJSON(t, e, "/v1/messages", string(b), nil)
		readBody(t, messages)
		if count.StatusCode != http.StatusBadRequest || messages.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: count_tokens %d (%s), messages %d", name, count.StatusCode, countBody, messages.StatusCode)
		}
	}
	tokens := func(content string) int {
		var got struct {
			InputTokens int `json:"input_tokens"`
		}
		resp := postJSON(t, e, "/v1/messages/count_tokens", `{"model":"qwen3-max",`+user(content)+`}`, nil)
		if b := readBody(t, resp); resp.StatusCode != 200 || json.Unmarshal([]byte(b), &got) != nil {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		return got.InputTokens
	}
	if text, with := tokens(`[{"type":"text","text":"what"}]`), tokens(`[`+img+`,{"type":"text","text":"what"}]`); with <= text {
		t.Errorf("an image counted %d tokens", with-text)
	}
}

// The Responses API's input_tokens holds a request to what /v1/responses
// holds it to, as count_tokens does for the Messages API: each of these was
// counted (200) where /v1/responses refuses it (400).
func TestInputTokensRefusesWhatResponsesRefuses(t *testing.T) {
	e := start(t, nil)
	png := "data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG(t))
	image := func(url string) string {
		return `"input":[{"role":"user","content":[{"type":"input_image","image_url":"` + url + `"},{"type":"input_text","text":"what"}]}]`
	}
	for name, body := range map[string]string{
		"an image without vision":    `{"model":"` + qwensim.TextOnlyModel + `",` + image(png) + `}`,
		"an image that is no image":  `{"model":"qwen3-max",` + image("data:image/png;base64,aGk=") + `}`,
		"a forced search without it": `{"model":"qwen3-vl-plus","tools":[{"type":"web_search"}],"tool_choice":{"type":"web_search"},"input":"hi"}`,
		"top_logprobs":               `{"model":"qwen3-max","top_logprobs":5,"input":"hi"}`,
		"a schema that is none":      `{"model":"qwen3-max","text":{"format":{"type":"json_schema","name":"x","schema":{"type":"object","properties":{"a":{"type":5}}}}},"input":"hi"}`,
		"a document that is none":    `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_file","filename":"a.pdf","file_data":"data:application/pdf;base64,aGk="}]}]}`,
	} {
		count := postJSON(t, e, "/v1/responses/input_tokens", body, nil)
		countBody := readBody(t, count)
		create := postJSON(t, e, "/v1/responses", body, nil)
		readBody(t, create)
		if count.StatusCode != http.StatusBadRequest || create.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: input_tokens %d (%s), responses %d", name, count.StatusCode, countBody, create.StatusCode)
		}
	}
	if n := len(e.rows()); n != 0 {
		t.Fatalf("%d calls recorded", n)
	}
}
