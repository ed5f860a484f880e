package e2e

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/qwensim"
)

// The -image-edit variant sends the turn's image to Qwen as a file of an
// image_edit chat and answers with the edited image, as -image answers, in
// each chat API; it is listed for the models whose chat types have
// image_edit.
func TestTheImageEditVariantInEachChatAPI(t *testing.T) {
	e := start(t, nil)
	var ids []string
	iter := e.client.Models.ListAutoPaging(ctxT(t))
	for iter.Next() {
		ids = append(ids, iter.Current().ID)
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids, "qwen3-max-image-edit") || slices.Contains(ids, qwensim.TextOnlyModel+"-image-edit") {
		t.Fatalf("models %v", ids)
	}

	b64 := base64.StdEncoding.EncodeToString(testPNG(t))
	params := chatParams(imageMessage("make it blue", "data:image/png;base64,"+b64))
	params.Model = "qwen3-max-image-edit"
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if content := got.Choices[0].Message.Content; !strings.HasPrefix(content, "![image]("+e.sim.URL+"/") || got.Model != "qwen3-max-image-edit" {
		t.Fatalf("content %q, model %q", content, got.Model)
	}
	m := lastMessage(t, e)
	if files, _ := m["files"].([]any); m["chat_type"] != "image_edit" || len(files) != 1 {
		t.Fatalf("upstream message %v", m)
	}
	var newChat string
	for _, c := range e.sim.Calls() {
		if c.Endpoint == qwensim.EndpointNewChat {
			newChat = string(c.Body)
		}
	}
	if !strings.Contains(newChat, `"chat_type":"image_edit"`) {
		t.Fatalf("chats/new %s", newChat)
	}
	if r := e.lastRow(); strings.Contains(r.OpenAIRequest.String, b64[:40]) || !strings.Contains(r.OpenAIRequest.String, "sha256:") {
		t.Fatalf("recorded %s", r.OpenAIRequest.String)
	}

	resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-max-image-edit","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"make it blue"},`+
		`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"`+b64+`"}}]}]}`, nil)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "![image]("+e.sim.URL+"/") {
		t.Fatalf("messages: %d %s", resp.StatusCode, body)
	}
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max-image-edit","input":[{"role":"user","content":[{"type":"input_text","text":"make it blue"},`+
		`{"type":"input_image","image_url":"data:image/png;base64,`+b64+`"}]}]}`, nil)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "![image]("+e.sim.URL+"/") {
		t.Fatalf("responses: %d %s", resp.StatusCode, body)
	}
	if m := lastMessage(t, e); m["chat_type"] != "image_edit" {
		t.Fatalf("responses' upstream message %v", m)
	}
}

// An -image-edit turn without an image is a 400 that says why, in each chat
// API, and reaches neither Qwen nor the record; so is the variant of a
// model that does not edit images.
func TestTheImageEditVariantNeedsAnImageAndAnEditingModel(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage("make it blue"))
	params.Model = "qwen3-max-image-edit"
	_, err := e.client.Chat.Completions.New(ctxT(t), params)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "no image") || !strings.Contains(apiErr.Message, "qwen3-max-image-edit") {
		t.Fatalf("chat: want a 400 saying there is no image, got %v", err)
	}
	for path, body := range map[string]string{
		"/v1/messages":  `{"model":"qwen3-max-image-edit","max_tokens":100,"messages":[{"role":"user","content":"make it blue"}]}`,
		"/v1/responses": `{"model":"qwen3-max-image-edit","input":"make it blue"}`,
	} {
		resp := postJSON(t, e, path, body, nil)
		if b := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(b, "no image") {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
	params = chatParams(imageMessage("make it blue", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(testPNG(t))))
	params.Model = qwensim.TextOnlyModel + "-image-edit"
	_, err = e.client.Chat.Completions.New(ctxT(t), params)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "model" || !strings.Contains(apiErr.Message, "image editing") {
		t.Fatalf("text-only model: want a 400 on model, got %v", err)
	}
	if len(e.rows()) != 0 || e.sim.Uploads() != 0 || len(upstreamCompletions(t, e.sim)) != 0 {
		t.Fatal("a refused edit changed something")
	}
}

// The legacy completions take text alone: an -image-edit name there has no
// image to edit, a 400 before anything reaches Qwen.
func TestTheImageEditVariantOnLegacyCompletionsIsRefused(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/completions", `{"model":"qwen3-max-image-edit","prompt":"make it blue"}`, nil)
	if b := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(b, "no image") || !strings.Contains(b, `"param":"prompt"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if len(e.rows()) != 0 || len(upstreamCompletions(t, e.sim)) != 0 {
		t.Fatal("a refused edit changed something")
	}
}
