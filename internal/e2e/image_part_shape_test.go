package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// An image part whose image_url has the other API's shape (a string in
// Chat Completions, which takes {"url": …}; an object in the Responses
// API, which takes the URL itself) is a 400 that names the part and the
// field; it was "messages[0].content must be a string or an array of
// content parts" about content that was an array.
func TestAnImagePartOfTheWrongShapeIsNamed(t *testing.T) {
	e := start(t, nil)
	for _, c := range []struct{ path, body, param, says string }{
		{"/v1/chat/completions", `{"model":"qwen3-vl-plus","messages":[{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":"data:image/png;base64,AAAA"}]}]}`,
			`"param":"messages[0].content[1].image_url"`, "messages[0].content[1].image_url must be an object, not a string"},
		{"/v1/chat/completions", `{"model":"qwen3-vl-plus","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":5}}]}]}`,
			`"param":"messages[0].content[0].image_url.url"`, "messages[0].content[0].image_url.url must be a string, not a number"},
		{"/v1/responses", `{"model":"qwen3-vl-plus","input":[{"role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`,
			`"param":"input[0].content[1].image_url"`, "input[0].content[1].image_url must be a string, not an object"},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		got := readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(got, c.param) || !strings.Contains(got, c.says) {
			t.Errorf("%s: want a 400 with %s saying %q, got %d %s", c.path, c.param, c.says, resp.StatusCode, got)
		}
	}
}
