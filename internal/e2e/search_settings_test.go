package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A web search's settings have no effect (Qwen searches as it does), but
// like every field without effect they are type- and range-checked: a
// malformed one passed unseen on all three client APIs
// (web_search_options {"search_context_size":"huge","user_location":"Oslo"}
// searched). A malformed setting is a 400 naming it, and nothing is
// recorded; well-formed ones, as the APIs define them, search.
func TestWebSearchSettingsAreChecked(t *testing.T) {
	e := start(t, nil)
	chat := func(opts string) string {
		return `{"model":"qwen3-max","web_search_options":` + opts + `,"messages":[{"role":"user","content":"news"}]}`
	}
	responses := func(tool string) string {
		return `{"model":"qwen3-max","tools":[` + tool + `],"input":"news"}`
	}
	messages := func(tool string) string {
		return `{"model":"qwen3-max","max_tokens":64,"tools":[` + tool + `],"messages":[{"role":"user","content":"news"}]}`
	}
	bad := []struct{ path, body, param string }{
		{"/v1/chat/completions", chat(`{"search_context_size":"huge"}`), "web_search_options.search_context_size"},
		{"/v1/chat/completions", chat(`{"user_location":"Oslo"}`), "web_search_options.user_location"},
		{"/v1/chat/completions", chat(`{"user_location":{"type":"approximate","approximate":{"city":7}}}`), "web_search_options.user_location.approximate.city"},
		{"/v1/responses", responses(`{"type":"web_search","search_context_size":"huge"}`), "tools[0].search_context_size"},
		{"/v1/responses", responses(`{"type":"web_search_preview","user_location":{"type":"exact"}}`), "tools[0].user_location.type"},
		{"/v1/responses", responses(`{"type":"web_search","filters":{"allowed_domains":"example.com"}}`), "tools[0].filters.allowed_domains"},
		{"/v1/messages", messages(`{"type":"web_search_20250305","name":"web_search","max_uses":0}`), "tools.0.max_uses"},
		{"/v1/messages", messages(`{"type":"web_search_20250305","name":"web_search","allowed_domains":[1]}`), "tools.0.allowed_domains"},
		{"/v1/messages", messages(`{"type":"web_search_20250305","name":"web_search","user_location":{"type":"approximate","country":["NO"]}}`), "tools.0.user_location.country"},
	}
	for _, c := range bad {
		resp := postJSON(t, e, c.path, c.body, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), c.param) {
			t.Errorf("%s %s: %d %s, want a 400 naming %s", c.path, c.body, resp.StatusCode, b, c.param)
		}
	}
	if n := len(e.rows()); n != 0 {
		t.Fatalf("%d refused calls recorded", n)
	}
	good := []struct{ path, body string }{
		{"/v1/chat/completions", chat(`{"search_context_size":"low","user_location":{"type":"approximate","approximate":{"city":"Oslo","country":"NO"}}}`)},
		{"/v1/responses", responses(`{"type":"web_search","search_context_size":"high","user_location":{"type":"approximate","city":"Oslo"},"filters":{"allowed_domains":["example.com"]}}`)},
		{"/v1/messages", messages(`{"type":"web_search_20250305","name":"web_search","max_uses":5,"allowed_domains":["example.com"],"user_location":{"type":"approximate","city":"Oslo","timezone":"Europe/Oslo"}}`)},
	}
	for _, c := range good {
		resp := postJSON(t, e, c.path, c.body, nil)
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
			t.Errorf("%s %s: %d %s", c.path, c.body, resp.StatusCode, b)
		}
	}
}
