package e2e

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// A URL's scheme is compared without case (RFC 3986 §3.1: "DATA:" is
// "data:"), as browsers and OpenAI read it: an image or document sent as
// a data: URL whose scheme is written in capitals is taken as any other —
// uploaded, seen, and recorded as a reference, not its bytes. Until
// 2026-12-07 such an image was a 400 ("must be a data: URL or an http(s)
// URL") and such a document a 400 invalid_document.
func TestADataURLsSchemeIsReadWithoutCase(t *testing.T) {
	e := start(t, nil)
	png := base64.StdEncoding.EncodeToString(testPNG(t))
	pdf := base64.StdEncoding.EncodeToString(testPDF)
	for _, c := range []struct{ name, path, body, want, recorded string }{
		{"chat image", "/v1/chat/completions", `{"model":"qwen3-vl-plus","messages":[{"role":"user","content":[{"type":"text","text":"look"},` +
			`{"type":"image_url","image_url":{"url":"DATA:image/png;base64,` + png + `"}}]}]}`, "I see 1 image", png},
		{"responses image", "/v1/responses", `{"model":"qwen3-vl-plus","input":[{"role":"user","content":[{"type":"input_text","text":"look"},` +
			`{"type":"input_image","image_url":"Data:image/png;base64,` + png + `"}]}]}`, "I see 1 image", png},
		{"chat document", "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":"text","text":"summarise"},` +
			`{"type":"file","file":{"filename":"report.pdf","file_data":"DATA:application/pdf;base64,` + pdf + `"}}]}]}`, "I read 1 document: report.pdf", pdf},
		{"responses document", "/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text","text":"summarise"},` +
			`{"type":"input_file","filename":"r.pdf","file_data":"dAtA:application/pdf;base64,` + pdf + `"}]}]}`, "I read 1 document: r.pdf", pdf},
	} {
		resp := postJSON(t, e, c.path, c.body, map[string]string{"X-Session-Id": "scheme-" + strings.ReplaceAll(c.name, " ", "-")})
		if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, c.want) {
			t.Fatalf("%s: %d %s", c.name, resp.StatusCode, body)
		}
		if r := e.lastRow(); strings.Contains(r.OpenAIRequest.String, c.recorded[:40]) || !strings.Contains(r.OpenAIRequest.String, "sha256:") {
			t.Fatalf("%s: the record kept the bytes: %s", c.name, r.OpenAIRequest.String)
		}
	}
	if got := e.sim.Uploads(); got != 4 {
		t.Fatalf("%d uploads for 4 files", got)
	}

	// An http(s) URL alike: "HTTP://" is fetched where fetching is allowed.
	pic := testPNG(t)
	images := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(pic) }))
	defer images.Close()
	e = start(t, func(c *config.Config) { c.AllowImageURLs = "loopback" })
	u := "HTTP://" + strings.TrimPrefix(images.URL, "http://") + "/cat.png"
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"qwen3-vl-plus","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + u + `"}}]}]}`},
		{"/v1/responses", `{"model":"qwen3-vl-plus","input":[{"role":"user","content":[{"type":"input_image","image_url":"` + u + `"}]}]}`},
		{"/v1/messages", `{"model":"qwen3-vl-plus","max_tokens":100,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"` + u + `"}}]}]}`},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "I see 1 image: cat.png") {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, body)
		}
	}
}
