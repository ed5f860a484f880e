package e2e

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// A turn takes at most IMAGE_MAX_COUNT images, and so does a history
// replayed into a new chat: each image is held in memory and costs two
// requests to Qwen, and 300 tiny images in one request were all read and
// uploaded (601 upstream requests). Over the bound is a 400 invalid_image
// that names the setting, before anything is uploaded.
func TestATurnTakesAtMostImageMaxCountImages(t *testing.T) {
	e := start(t, func(c *config.Config) { c.ImageMaxCount = 2 })
	part := func(i int) string {
		pic := append(testPNG(t), byte(i)) // distinct images
		return `{"type":"image_url","image_url":{"url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(pic) + `"}}`
	}
	user := func(n int) string {
		parts := []string{`{"type":"text","text":"look"}`}
		for i := range n {
			parts = append(parts, part(i))
		}
		return `{"role":"user","content":[` + strings.Join(parts, ",") + `]}`
	}
	for name, messages := range map[string]string{
		"a turn":            user(3),
		"a replayed turn":   user(3) + `,{"role":"assistant","content":"Three pictures."},{"role":"user","content":"and?"}`,
		"a replay and turn": user(2) + `,{"role":"assistant","content":"Two."},` + user(3),
	} {
		resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-vl-plus","messages":[`+messages+`]}`, nil)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "IMAGE_MAX_COUNT (2)") || !strings.Contains(body, "3 images") {
			t.Errorf("%s: want a 400 naming IMAGE_MAX_COUNT, got %d %s", name, resp.StatusCode, body)
		}
		if e.sim.Uploads() != 0 {
			t.Fatalf("%s: %d images uploaded", name, e.sim.Uploads())
		}
	}
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-vl-plus","messages":[`+user(2)+`]}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, "I see 2 images") {
		t.Fatalf("two images: %d %s", resp.StatusCode, body)
	}
}
