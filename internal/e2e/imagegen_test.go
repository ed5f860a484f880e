package e2e

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

func TestImageGenerationInBothResponseFormats(t *testing.T) {
	e := start(t, nil)
	got, err := e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a red fox", Model: "qwen3-max",
		Size: openai.ImageGenerateParamsSize1792x1024, ResponseFormat: openai.ImageGenerateParamsResponseFormatURL})
	if err != nil {
		t.Fatal(err)
	}
	url := got.Data[0].URL
	if len(got.Data) != 1 || !strings.HasPrefix(url, e.sim.URL+"/") || got.Data[0].B64JSON != "" {
		t.Fatalf("%+v", got.Data)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("the URL serves %q", png[:min(len(png), 16)])
	}
	// Upstream: a t2i chat, a t2i message, the size as the nearest ratio.
	var chatType string
	for _, c := range e.sim.Calls() {
		if c.Endpoint == qwensim.EndpointNewChat {
			chatType = string(c.Body)
		}
	}
	body := upstreamCompletions(t, e.sim)[0]
	if m := messagesOf(body)[0]; m["chat_type"] != "t2i" || body["size"] != "16:9" || !strings.Contains(chatType, `"chat_type":"t2i"`) {
		t.Fatalf("upstream %v / %s", body, chatType)
	}
	r := e.lastRow()
	if r.Path != "/v1/images/generations" || r.Status != "success" || !strings.Contains(r.OpenAIResponse.String, url) || !strings.Contains(r.QwenResponse.String, url) {
		t.Fatalf("record %+v", r)
	}

	// b64_json: the bytes in the answer; the record keeps the URL and the size.
	got, err = e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a red fox", Model: "qwen3-max-image",
		ResponseFormat: openai.ImageGenerateParamsResponseFormatB64JSON})
	if err != nil {
		t.Fatal(err)
	}
	b, err := base64.StdEncoding.DecodeString(got.Data[0].B64JSON)
	if err != nil || string(b) != string(png) {
		t.Fatalf("b64_json %v: %d bytes, want the same image (%d)", err, len(b), len(png))
	}
	if r := e.lastRow(); strings.Contains(r.OpenAIResponse.String, got.Data[0].B64JSON) || !strings.Contains(r.OpenAIResponse.String, "bytes]") {
		t.Fatalf("recorded %s", r.OpenAIResponse.String)
	}

	// A model without image generation: a 400 naming it.
	_, err = e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "x", Model: qwensim.TextOnlyModel})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, qwensim.TextOnlyModel) {
		t.Fatalf("want a 400, got %v", err)
	}
}

func TestImageGenerationRefusesThinkingAndSearchVariants(t *testing.T) {
	e := start(t, nil)
	for model, base := range map[string]string{"qwen3-vl-plus-thinking": "qwen3-vl-plus", "qwen3-max-search": "qwen3-max"} {
		_, err := e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a red fox", Model: model})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "model" || !strings.Contains(apiErr.Message, model) ||
			!strings.Contains(apiErr.Message, `"`+base+`"`) {
			t.Fatalf("%s: want a 400 naming the model and its plain name, got %v", model, err)
		}
	}
	if n := len(upstreamCompletions(t, e.sim)); n != 0 {
		t.Fatalf("%d completions reached Qwen", n)
	}
}

func TestAnImageVariantAnswersWithMarkdown(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage("draw a cat"))
	params.Model = "qwen3-max-image"
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	content := got.Choices[0].Message.Content
	if !strings.HasPrefix(content, "![image]("+e.sim.URL+"/") || !strings.HasSuffix(content, ".png)") {
		t.Fatalf("content %q", content)
	}
	if m := lastMessage(t, e); m["chat_type"] != "t2i" {
		t.Fatalf("chat_type %v", m["chat_type"])
	}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil || !strings.HasPrefix(acc.Choices[0].Message.Content, "![image](") {
		t.Fatalf("%v %q", err, acc.Choices[0].Message.Content)
	}
}

// A slow image keeps the client with newlines before the JSON; an image
// slower than IMAGE_TIMEOUT is a 504.
func TestImageGenerationWaitsAreCoveredAndBounded(t *testing.T) {
	e := start(t, func(c *config.Config) { c.StreamKeepAlive = 10 * time.Millisecond })
	e.sim.Inject(qwensim.Fault{Delay: time.Second})
	resp := postJSON(t, e, "/v1/images/generations", `{"prompt":"a slow fox","model":"qwen3-max"}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "\n") || !strings.Contains(string(b), `"url":"http`) {
		t.Fatalf("%d %q", resp.StatusCode, b)
	}

	e = start(t, func(c *config.Config) { c.ImageTimeout = 100 * time.Millisecond })
	e.sim.Inject(qwensim.Fault{Delay: time.Minute})
	_, err := e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a fox too slow", Model: "qwen3-max"})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusGatewayTimeout || !strings.Contains(apiErr.Message, "IMAGE_TIMEOUT") {
		t.Fatalf("want a 504 naming IMAGE_TIMEOUT, got %v", err)
	}
	e.sync()
	if r := e.lastRow(); r.Status != "error" || r.HTTPStatus != http.StatusGatewayTimeout {
		t.Fatalf("record %+v", r)
	}
}

// An account over its quota passes an image generation to the next account,
// as it passes a chat: nothing but padding has reached the client. Image
// generations failed with the picked account's 429 while another was free.
func TestImageGenerationPassesOverARateLimitedAccount(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}, nil)
	e.sim.RateLimit(alice, 3)
	for i := range 3 { // the pool picks the least recently used: alice comes up
		resp := postJSON(t, e, "/v1/images/generations", `{"prompt":"a fox `+string(rune('a'+i))+`","model":"qwen3-max"}`, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"url"`) {
			t.Fatalf("image %d: %d %s", i, resp.StatusCode, b)
		}
		if got := e.accountOf(resp.Header.Get("X-Request-Id")); got != bob {
			t.Fatalf("image %d made by %q", i, got)
		}
	}
	if st := healthAccounts(t, e)[alice]; st.State != accounts.StateRateLimited {
		t.Fatalf("alice %+v", st)
	}
}

// An image generation's record counts its attempts as a chat's do: opening
// the chat in new_chat_attempts, the completion in upstream_attempts, and
// each failed one in upstream_errors. Its new chat's tries were counted as
// completion attempts, and new_chat_attempts stayed 0.
func TestImageGenerationCountsItsAttemptsAsChatsDo(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointNewChat, Status: 503}, qwensim.Fault{Status: 429, RetryAfter: "0"})
	if _, err := e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a red fox", Model: "qwen3-max"}); err != nil {
		t.Fatal(err)
	}
	var attempts, newChat int
	var failures string
	if err := e.db().QueryRow(`SELECT upstream_attempts, new_chat_attempts, upstream_errors FROM responses`).Scan(&attempts, &newChat, &failures); err != nil {
		t.Fatal(err)
	}
	want := "chats_new: server 503; completions: rate_limited 429"
	if attempts != 2 || newChat != 2 || failures != want {
		t.Fatalf("attempts %d + %d new chat, failures %q; want 2 + 2, %q", attempts, newChat, failures, want)
	}
}

// A generation that breaks once under way (after Qwen's keep-alive) is an
// error that says so, recorded as one: a cut a 502, Qwen's in-stream error
// its own, a silence IMAGE_TIMEOUT's 504. The simulator's breaks took only
// text answers: a generation always came whole.
func TestAnImageGenerationBrokenUnderWayIsAnError(t *testing.T) {
	for _, c := range []struct {
		fault  qwensim.Fault
		status int
		code   string
	}{
		{qwensim.Fault{CutAfter: 1}, http.StatusBadGateway, "upstream_stream_cut"},
		{qwensim.Fault{ErrorAfter: 1}, http.StatusTooManyRequests, "rate_limit_exceeded"},
		{qwensim.Fault{StallAfter: 1}, http.StatusGatewayTimeout, "upstream_timeout"},
	} {
		e := start(t, func(c *config.Config) { c.ImageTimeout = 200 * time.Millisecond })
		e.sim.Inject(c.fault)
		_, err := e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a fox", Model: "qwen3-max"})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != c.status || apiErr.Code != c.code {
			t.Errorf("%+v: want a %d %s, got %v", c.fault, c.status, c.code, err)
			continue
		}
		e.sync()
		if r := e.lastRow(); r.Status != "error" || r.HTTPStatus != c.status {
			t.Errorf("%+v: record %+v", c.fault, r)
		}
	}
}

// An image generation whose answer has no image says what arrived instead:
// the phases, or the text Qwen wrote (a refusal). It said "Qwen's answer
// had no image: " and nothing more when the answer was empty.
func TestAnImageGenerationWithoutAnImageSaysWhatCame(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{EmptyAnswer: true, Times: 3})
	_, err := e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a fox", Model: "qwen3-max"})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadGateway || apiErr.Code != "upstream_empty_answer" {
		t.Fatalf("want a 502 upstream_empty_answer, got %v", err)
	}
	if msg := apiErr.Message; strings.HasSuffix(strings.TrimSpace(msg), ":") || !strings.Contains(msg, "phases that arrived: answer") {
		t.Fatalf("message %q", msg)
	}
}

// OpenAI's image model names reach DEFAULT_MODEL as its chat model names
// do: image tools send dall-e-2 or dall-e-3 (gpt-image-1 is a gpt-* name
// already). dall-e-3 was a 404 model_not_found, so they could not draw
// without a MODEL_MAP.
func TestOpenAIsImageModelNamesDraw(t *testing.T) {
	e := start(t, nil)
	for _, model := range []openai.ImageModel{openai.ImageModelDallE2, openai.ImageModelDallE3, openai.ImageModelGPTImage1} {
		got, err := e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a red fox", Model: model})
		if err != nil || len(got.Data) != 1 || got.Data[0].URL == "" && got.Data[0].B64JSON == "" { // gpt-image-1 answers b64_json
			t.Errorf("%s: %v %+v", model, err, got)
		}
	}
}
