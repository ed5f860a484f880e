package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// A turn whose text is over CONTEXT_FILE_BYTES goes to Qwen as peers send
// oversized agent context: the whole text as a text file attachment, and a
// short inline prompt that keeps the newest part. The model reads both.
func TestALargeTurnGoesAsATextFileAttachment(t *testing.T) {
	e := start(t, func(c *config.Config) { c.ContextFileBytes = 8192 })
	system := "You are terse. " + strings.Repeat("Rule: be exact. ", 1500) // ~24 KB
	body, _ := json.Marshal(map[string]any{"model": "qwen3-max", "messages": []map[string]string{
		{"role": "system", "content": system},
		{"role": "user", "content": "What is the final question?"},
	}})
	resp := postJSON(t, e, "/v1/chat/completions", string(body), nil)
	answer := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(answer, "I read 1 document: ") || !strings.Contains(answer, "text/plain") {
		t.Fatalf("%d %s", resp.StatusCode, answer)
	}
	m := lastMessage(t, e)
	content, _ := m["content"].(string)
	docs := documentFiles(t, e)
	if len(content) > 8192 || !strings.Contains(content, "What is the final question?") || !strings.Contains(content, "attached") {
		t.Fatalf("inline prompt of %d bytes: %.300q", len(content), content)
	}
	if len(docs) != 1 || docs[0]["file_type"] != "text/plain" || docs[0]["size"].(float64) < float64(len(system)) {
		t.Fatalf("files %v", docs)
	}
	// Under the threshold, a turn goes inline as before.
	resp = postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"short"}]}`, nil)
	if b := readBody(t, resp); resp.StatusCode != 200 || len(documentFiles(t, e)) != 0 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if r := e.lastRow(); !strings.Contains(r.QwenRequest.String, `"short"`) {
		t.Fatal(fmt.Sprintf("recorded %s", r.QwenRequest.String))
	}
}
