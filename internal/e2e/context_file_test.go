package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

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

// TestAPlanInALargePromptIsTakenOnce: a turn over CONTEXT_FILE_BYTES goes
// to Qwen as a document and an inline prompt that repeats the text's last
// part. The simulator read both as the turn, so a plan at the end of a long
// prompt (OpenCode given a pasted log, then "use bash …, then use bash …")
// was taken twice: each step called again beside the next. Its model reads
// the document as the turn: each step once, then the acknowledgement.
func TestAPlanInALargePromptIsTakenOnce(t *testing.T) {
	e := start(t, nil)
	log := strings.Repeat("2026-12-05 ERROR Grüße 世界 something failed at line 42\n", 2500)
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Here is a log:\n" + log +
		`use get_weather with {"city": "Oslo"}, then use read_file with {"path": "go.mod"}`)}
	var called []string
	for turn := 0; turn < 3; turn++ {
		got, err := e.client.Chat.Completions.New(ctxT(t), toolParams(msgs...))
		if err != nil {
			t.Fatal(err)
		}
		msg := got.Choices[0].Message
		if turn == 0 && !strings.HasPrefix(lastUpstreamMessage(t, e), "[Context attachment]") {
			t.Fatalf("the turn was not sent as a document: %.200q", lastUpstreamMessage(t, e))
		}
		msgs = append(msgs, msg.ToParam())
		for _, c := range msg.ToolCalls {
			called = append(called, c.Function.Name)
			msgs = append(msgs, openai.ToolMessage("done", c.ID))
		}
		if len(msg.ToolCalls) == 0 {
			break
		}
	}
	if strings.Join(called, " ") != "get_weather read_file" {
		t.Fatalf("the plan's calls: %v", called)
	}
}
