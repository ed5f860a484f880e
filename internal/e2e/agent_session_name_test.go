package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
)

// OpenCode and Kilo send an attached file (`opencode run -f red.png`) as
// text parts of their own before the user's words — "Called the Read tool
// with the following input: {…}", then its output — and Kilo adds its
// <environment_details> after them; on Chat Completions and on Anthropic
// Messages alike (the bodies below are theirs, recorded from OpenCode
// 1.18.33 and Kilo 7.7.7, paths aside). The sessions they open are named by
// the user's words: they were all "Called the Read tool with the following
// input: {"filePath":…", the list's 100 characters cut before the words.
func TestAnAgentsSessionWithAnAttachedFileIsNamedByTheUsersWords(t *testing.T) {
	e := start(t, nil)
	image := "data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG(t))
	text := func(s string) map[string]any { return map[string]any{"type": "text", "text": s} }
	record := text(`Called the Read tool with the following input: {"filePath":"/home/me/work/red.png"}`)
	read := text("Image read successfully")
	words := text("what colour is this image?\n")
	environment := text("\n\n<environment_details>\nMessage time: 2026-12-07T09:12:44Z\nWorking directory: /home/me/work\nWorkspace root folder: /\n</environment_details>")
	for _, c := range []struct {
		agent, path, session string
		parts                []map[string]any
	}{
		{"opencode", "/v1/chat/completions", "ses_opencode_image", []map[string]any{record, read, {"type": "image_url", "image_url": map[string]any{"url": image}}, words}},
		{"kilo", "/v1/chat/completions", "ses_kilo_image", []map[string]any{record, read, {"type": "image_url", "image_url": map[string]any{"url": image}}, words, environment}},
		{"opencode on messages", "/v1/messages", "ses_opencode_messages", []map[string]any{record, read,
			{"type": "image", "source": map[string]any{"type": "base64", "media_type": "image/png", "data": image[len("data:image/png;base64,"):]}}, words}},
	} {
		body, err := json.Marshal(map[string]any{"model": "qwen3-vl-plus", "max_tokens": 100,
			"messages": []map[string]any{{"role": "user", "content": c.parts}}})
		if err != nil {
			t.Fatal(err)
		}
		resp := postJSON(t, e, c.path, string(body), map[string]string{"X-Session-Id": c.session})
		if b := readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", c.agent, resp.StatusCode, b)
		}
	}
	e.sync()
	names := map[any]any{}
	for _, s := range list(t, e, "/v1/sessions") {
		names[s["id"]] = s["first_user_message"]
	}
	for _, id := range []string{"ses_opencode_image", "ses_kilo_image", "ses_opencode_messages"} {
		if names[id] != "what colour is this image?" {
			t.Errorf("session %s named %q, want the user's words", id, names[id])
		}
	}
}
