package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Web search forced on an image variant is refused on every client API
// with the image variant's reason. The Responses API gave a false one —
// that Qwen's model list offers the model no search, though its -search
// variant is listed — where Chat Completions and Messages said what holds.
func TestSearchForcedOnAnImageVariantIsRefusedForWhatItIs(t *testing.T) {
	e := start(t, nil)
	for _, c := range []struct{ path, body string }{
		{"/v1/responses", `{"model":"qwen3-max-image","tools":[{"type":"web_search"}],"tool_choice":{"type":"web_search"},"input":"x"}`},
		{"/v1/responses", `{"model":"qwen3-max-image","tools":[{"type":"web_search_preview"}],"tool_choice":{"type":"web_search_preview"},"input":"x"}`},
		{"/v1/chat/completions", `{"model":"qwen3-max-image","web_search_options":{},"messages":[{"role":"user","content":"x"}]}`},
		{"/v1/messages", `{"model":"qwen3-max-image","max_tokens":16,"tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"tool","name":"web_search"},"messages":[{"role":"user","content":"x"}]}`},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "an image variant answers with a generated image") || strings.Contains(string(b), "model list") {
			t.Errorf("%s %s: %d %s", c.path, c.body, resp.StatusCode, b)
		}
	}
	if n := len(e.rows()); n != 0 {
		t.Fatalf("%d refused calls recorded", n)
	}
}
