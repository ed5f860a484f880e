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
