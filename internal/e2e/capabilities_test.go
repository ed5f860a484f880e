package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// lastMessage is the one message of the newest completion Qwen received.
func lastMessage(t *testing.T, e *env) map[string]any {
	t.Helper()
	bodies := upstreamCompletions(t, e.sim)
	if len(bodies) == 0 {
		t.Fatal("no completion reached Qwen")
	}
	return messagesOf(bodies[len(bodies)-1])[0]
}

func TestModelVariantsFollowEachModelsCapabilities(t *testing.T) {
	e := start(t, nil)
	var ids []string
	iter := e.client.Models.ListAutoPaging(ctxT(t))
	for iter.Next() {
		ids = append(ids, iter.Current().ID)
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"qwen3-max", "qwen3-max-search", "qwen3-max-image", "qwen3-vl-plus-thinking",
		"qwq-32b-thinking", "qwq-32b-thinking-search", qwensim.ThinkingModel + "-search"} {
		if !slices.Contains(ids, want) {
			t.Errorf("GET /v1/models lacks %s: %v", want, ids)
		}
		if m, err := e.client.Models.Get(ctxT(t), want); err != nil || m.ID != want {
			t.Errorf("GET /v1/models/%s: %+v %v", want, m, err)
		}
	}
	// No -thinking for a model that cannot think, nor for one that always
	// thinks; no -search for one without search.
	for _, absent := range []string{"qwen3-max-thinking", qwensim.ThinkingModel + "-thinking", qwensim.ThinkingModel + "-thinking-search", "qwen3-vl-plus-search", "qwq-32b-image"} {
		if slices.Contains(ids, absent) {
			t.Errorf("GET /v1/models lists %s", absent)
		}
		params := chatParams(openai.UserMessage("hi"))
		params.Model = absent
		_, err := e.client.Chat.Completions.New(ctxT(t), params)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || apiErr.Code != "model_variant_unsupported" || !strings.Contains(apiErr.Message, absent) {
			t.Errorf("%s: want a 400 naming it, got %v", absent, err)
		}
	}
}

func TestAThinkingVariantThinks(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage("think about it"))
	params.Model = "qwen3-vl-plus-thinking"
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		ReasoningContent string `json:"reasoning_content"`
	}
	_ = json.Unmarshal([]byte(got.Choices[0].Message.RawJSON()), &msg)
	if msg.ReasoningContent == "" || got.Model != "qwen3-vl-plus-thinking" {
		t.Fatalf("no reasoning from the -thinking variant: %s", got.RawJSON())
	}
	m := lastMessage(t, e)
	fc := m["feature_config"].(map[string]any)
	if body := upstreamCompletions(t, e.sim); body[len(body)-1]["model"] != "qwen3-vl-plus" || fc["thinking_enabled"] != true {
		t.Fatalf("upstream model %v, feature_config %v", body[len(body)-1]["model"], fc)
	}
	if e.lastRow().Model != "qwen3-vl-plus-thinking" {
		t.Fatalf("recorded model %q", e.lastRow().Model)
	}
}

// searchCase checks a searching answer: the web_search phase's two sources
// appended as a numbered list, and annotations whose spans are those lines.
func checkSources(t *testing.T, content string, annotations []openai.ChatCompletionMessageAnnotation) {
	t.Helper()
	if len(annotations) != 2 {
		t.Fatalf("annotations %+v", annotations)
	}
	runes := []rune(content)
	for i, a := range annotations {
		c := a.URLCitation
		if !strings.HasPrefix(c.URL, "https://example.") || !strings.Contains(c.Title, "result for") {
			t.Fatalf("annotation %d %+v", i, c)
		}
		if c.StartIndex < 0 || c.EndIndex > int64(len(runes)) || c.StartIndex >= c.EndIndex {
			t.Fatalf("annotation %d span %d..%d of %d", i, c.StartIndex, c.EndIndex, len(runes))
		}
		span := string(runes[c.StartIndex:c.EndIndex])
		if !strings.HasPrefix(span, "["+string(rune('1'+i))+"] [") || !strings.Contains(span, c.URL) {
			t.Fatalf("annotation %d points at %q", i, span)
		}
	}
	if !strings.Contains(content, "\n\nSources:\n[1] ") {
		t.Fatalf("no source list in %q", content)
	}
}

func TestASearchVariantCitesItsSources(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage("what is new in Oslo"))
	params.Model = "qwen3-max-search"
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	msg := got.Choices[0].Message
	checkSources(t, msg.Content, msg.Annotations)
	if !strings.HasPrefix(msg.Content, `You said: "what is new in Oslo".`) {
		t.Fatalf("answer %q", msg.Content)
	}
	if m := lastMessage(t, e); m["chat_type"] != "search" || m["feature_config"].(map[string]any)["auto_search"] != true {
		t.Fatalf("upstream message %v", m)
	}
	// Its chat was opened as a search chat, as the web client opens one
	// (qwen-2026.md §2.1; it was opened as t2t).
	for _, c := range e.sim.Calls() {
		var body struct {
			ChatType string `json:"chat_type"`
		}
		if c.Endpoint == qwensim.EndpointNewChat && (json.Unmarshal(c.Body, &body) != nil || body.ChatType != "search") {
			t.Fatalf("the chat was opened as %q: %s", body.ChatType, c.Body)
		}
	}
	// Recorded: the client's body with its annotations, Qwen's with the
	// sources.
	r := e.lastRow()
	if !strings.Contains(r.OpenAIResponse.String, `"url_citation"`) || !strings.Contains(r.QwenResponse.String, `"web_search_info"`) {
		t.Fatalf("record %s / %s", r.OpenAIResponse.String, r.QwenResponse.String)
	}

	// Streamed: the text as it comes, the annotations on the final chunk.
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), chatParams(openai.UserMessage("what is new in Bergen")),
		option.WithJSONSet("model", "qwen3-max-search"))
	var content strings.Builder
	var annotations []openai.ChatCompletionMessageAnnotation
	for stream.Next() {
		ch := stream.Current()
		if len(ch.Choices) == 0 {
			continue
		}
		content.WriteString(ch.Choices[0].Delta.Content)
		if f, ok := ch.Choices[0].Delta.JSON.ExtraFields["annotations"]; ok {
			if ch.Choices[0].FinishReason == "" {
				t.Fatal("annotations before the final chunk")
			}
			if err := json.Unmarshal([]byte(f.Raw()), &annotations); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	checkSources(t, content.String(), annotations)
}

func TestWebSearchOptionsSearchOnThePlainModel(t *testing.T) {
	e := start(t, func(c *config.Config) { c.SearchSources = "annotations" })
	params := chatParams(openai.UserMessage("news please"))
	params.WebSearchOptions = openai.ChatCompletionNewParamsWebSearchOptions{}
	got, err := e.client.Chat.Completions.New(ctxT(t), params, option.WithJSONSet("web_search_options", map[string]any{}))
	if err != nil {
		t.Fatal(err)
	}
	msg := got.Choices[0].Message
	// SEARCH_SOURCES=annotations: no list in the text; empty spans at its end.
	if strings.Contains(msg.Content, "Sources:") || len(msg.Annotations) != 2 {
		t.Fatalf("%q %+v", msg.Content, msg.Annotations)
	}
	end := int64(utf8.RuneCountInString(msg.Content))
	for _, a := range msg.Annotations {
		if a.URLCitation.StartIndex != end || a.URLCitation.EndIndex != end {
			t.Fatalf("span %+v, content of %d", a.URLCitation, end)
		}
	}
	if m := lastMessage(t, e); m["chat_type"] != "search" {
		t.Fatalf("upstream chat_type %v", m["chat_type"])
	}
	// A model without search: a 400 naming it; Qwen is not asked.
	before := len(upstreamCompletions(t, e.sim))
	params.Model = "qwen3-vl-plus"
	_, err = e.client.Chat.Completions.New(ctxT(t), params, option.WithJSONSet("web_search_options", map[string]any{}))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "web_search_options" || !strings.Contains(apiErr.Message, "qwen3-vl-plus") {
		t.Fatalf("want a 400 naming the model, got %v", err)
	}
	if len(upstreamCompletions(t, e.sim)) != before {
		t.Fatal("Qwen was asked")
	}
}

// testPNG is a real 4×4 PNG.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func imageMessage(text, url string) openai.ChatCompletionMessageParamUnion {
	return openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
		openai.TextContentPart(text),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: url}),
	})
}

func TestAnImageGoesUpOnceAsTheWebClientAttachesIt(t *testing.T) {
	e := start(t, nil)
	pic := testPNG(t)
	dataURL := "data:image/png;base64," + base64.StdEncoding.EncodeToString(pic)
	first := imageMessage("what is in this picture?", dataURL)
	params := chatParams(first)
	params.Model = "qwen3-vl-plus"
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	answer := got.Choices[0].Message.Content
	if want := "I see 1 image: image-"; !strings.Contains(answer, want) || !strings.Contains(answer, fmt.Sprintf("(%d bytes, image/png)", len(pic))) {
		t.Fatalf("answer %q", answer)
	}
	if e.sim.Uploads() != 1 {
		t.Fatalf("uploads %d", e.sim.Uploads())
	}
	files := lastMessage(t, e)["files"].([]any)
	if f := files[0].(map[string]any); len(files) != 1 || f["file_class"] != "vision" || f["type"] != "image" || f["size"] != float64(len(pic)) {
		t.Fatalf("files %v", files)
	}
	// The record keeps a reference and the size, not the bytes, and the
	// file's URL without its signature.
	r := e.lastRow()
	if !strings.Contains(r.QwenRequest.String, `"file_class":"vision"`) || strings.Contains(r.QwenRequest.String, "x-oss-expires") {
		t.Fatalf("recorded Qwen request %s", r.QwenRequest.String)
	}
	if strings.Contains(r.OpenAIRequest.String, base64.StdEncoding.EncodeToString(pic)[:40]) ||
		!strings.Contains(r.OpenAIRequest.String, fmt.Sprintf("image/png, %d bytes, sha256:", len(pic))) {
		t.Fatalf("recorded request %s", r.OpenAIRequest.String)
	}

	// The next turn resends the history with the image: it is not uploaded
	// again, and the conversation continues in the same chat.
	params.Messages = []openai.ChatCompletionMessageParamUnion{first, openai.AssistantMessage(answer), openai.UserMessage("and its colour?")}
	got, err = e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if e.sim.Uploads() != 1 || !strings.Contains(got.Choices[0].Message.Content, `Earlier you said: "what is in this picture?"`) {
		t.Fatalf("uploads %d, answer %q", e.sim.Uploads(), got.Choices[0].Message.Content)
	}
	if files := lastMessage(t, e)["files"].([]any); len(files) != 0 {
		t.Fatalf("the second turn attached %v", files)
	}
}

func TestImageURLsAreFetchedOnlyWhenAllowed(t *testing.T) {
	pic := testPNG(t)
	images := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(pic) }))
	defer images.Close()
	msg := imageMessage("describe", images.URL+"/cat.png")

	// Default: URLs are not fetched; a 400 says how to allow them, and
	// nothing is recorded or uploaded.
	e := start(t, nil)
	params := chatParams(msg)
	params.Model = "qwen3-vl-plus"
	_, err := e.client.Chat.Completions.New(ctxT(t), params)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "invalid_image" || !strings.Contains(apiErr.Message, "ALLOW_IMAGE_URLS") {
		t.Fatalf("want a 400, got %v", err)
	}
	// ALLOW_IMAGE_URLS=true still never fetches loopback.
	e = start(t, func(c *config.Config) { c.AllowImageURLs = "true" })
	_, err = e.client.Chat.Completions.New(ctxT(t), params)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "never fetched") {
		t.Fatalf("want a 400 for a loopback URL, got %v", err)
	}
	if len(e.rows()) != 0 || e.sim.Uploads() != 0 {
		t.Fatal("a refused image changed something")
	}
	// loopback: fetched, uploaded, seen.
	e = start(t, func(c *config.Config) { c.AllowImageURLs = "loopback" })
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil || !strings.Contains(got.Choices[0].Message.Content, fmt.Sprintf("I see 1 image: cat.png (%d bytes, image/png)", len(pic))) {
		t.Fatalf("%v %+v", err, got)
	}
}

func TestATextOnlyModelRefusesImages(t *testing.T) {
	e := start(t, nil)
	params := chatParams(imageMessage("describe", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(testPNG(t))))
	params.Model = qwensim.TextOnlyModel
	_, err := e.client.Chat.Completions.New(ctxT(t), params)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, qwensim.TextOnlyModel) {
		t.Fatalf("want a 400 naming the model, got %v", err)
	}
	if len(e.rows()) != 0 || e.sim.Uploads() != 0 || len(upstreamCompletions(t, e.sim)) != 0 {
		t.Fatal("a refused image changed something")
	}
}

// Anthropic image blocks and Responses input_image parts take the same way
// in: uploaded, attached, seen; a text-only model refuses them.
func TestImagesThroughMessagesAndResponses(t *testing.T) {
	e := start(t, nil)
	b64 := base64.StdEncoding.EncodeToString(testPNG(t))
	anthropicBody := func(model string) string {
		return `{"model":"` + model + `","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"look"},` +
			`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + b64 + `"}}]}]}`
	}
	resp := postJSON(t, e, "/v1/messages", anthropicBody("qwen3-vl-plus"), nil)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "I see 1 image") {
		t.Fatalf("messages: %d %s", resp.StatusCode, body)
	}
	if r := e.lastRow(); strings.Contains(r.OpenAIRequest.String, b64[:40]) || !strings.Contains(r.OpenAIRequest.String, "sha256:") {
		t.Fatalf("recorded %s", r.OpenAIRequest.String)
	}
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-vl-plus","input":[{"role":"user","content":[{"type":"input_text","text":"look"},`+
		`{"type":"input_image","image_url":"data:image/png;base64,`+b64+`"}]}]}`, nil)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "I see 1 image") {
		t.Fatalf("responses: %d %s", resp.StatusCode, body)
	}
	if e.sim.Uploads() != 2 {
		t.Fatalf("uploads %d", e.sim.Uploads())
	}
	resp = postJSON(t, e, "/v1/messages", anthropicBody(qwensim.TextOnlyModel), nil)
	if body := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(body, qwensim.TextOnlyModel) {
		t.Fatalf("text-only model: %d %s", resp.StatusCode, body)
	}
}

// A tool's result may show images — Claude Code's Read of an image file
// (an Anthropic tool_result with image blocks), Codex's view_image (a
// function_call_output with input_image parts) — and they reach a vision
// model as a user message's do; a text-only model refuses them.
func TestImagesInToolResults(t *testing.T) {
	e := start(t, nil)
	b64 := base64.StdEncoding.EncodeToString(testPNG(t))
	anthropicBody := func(model string) string {
		return `{"model":"` + model + `","max_tokens":100,"tools":[{"name":"read","input_schema":{"type":"object"}}],"messages":[` +
			`{"role":"user","content":"read cat.png"},` +
			`{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"read","input":{"path":"cat.png"}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"the file"},` +
			`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + b64 + `"}}]}]}]}`
	}
	resp := postJSON(t, e, "/v1/messages", anthropicBody("qwen3-vl-plus"), nil)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `said \"the file\"`) || !strings.Contains(body, "I see 1 image") {
		t.Fatalf("messages: %d %s", resp.StatusCode, body)
	}
	if r := e.lastRow(); strings.Contains(r.OpenAIRequest.String, b64[:40]) || !strings.Contains(r.OpenAIRequest.String, "sha256:") {
		t.Fatalf("recorded %s", r.OpenAIRequest.String)
	}
	responsesBody := func(model string) string {
		return `{"model":"` + model + `","tools":[{"type":"function","name":"view_image","parameters":{"type":"object"}}],"input":[` +
			`{"role":"user","content":"look at cat.png"},` +
			`{"type":"function_call","call_id":"call_1","name":"view_image","arguments":"{\"path\":\"cat.png\"}"},` +
			`{"type":"function_call_output","call_id":"call_1","output":[{"type":"input_text","text":"the file"},` +
			`{"type":"input_image","image_url":"data:image/png;base64,` + b64 + `"}]}]}`
	}
	resp = postJSON(t, e, "/v1/responses", responsesBody("qwen3-vl-plus"), nil)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `said \"the file\"`) || !strings.Contains(body, "I see 1 image") {
		t.Fatalf("responses: %d %s", resp.StatusCode, body)
	}
	if e.sim.Uploads() != 2 {
		t.Fatalf("uploads %d", e.sim.Uploads())
	}
	for path, body := range map[string]string{"/v1/messages": anthropicBody(qwensim.TextOnlyModel), "/v1/responses": responsesBody(qwensim.TextOnlyModel)} {
		resp = postJSON(t, e, path, body, nil)
		if body := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(body, qwensim.TextOnlyModel) {
			t.Fatalf("%s, text-only model: %d %s", path, resp.StatusCode, body)
		}
	}
}

// Without Qwen's model list a variant's suffix is still read (Qwen then
// decides what the model can do).
func TestVariantsWithoutTheModelList(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointModels, Status: 500, Times: 1000})
	params := chatParams(openai.UserMessage("what is new"))
	params.Model = "qwen3-max-search"
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	body := upstreamCompletions(t, e.sim)
	if last := body[len(body)-1]; last["model"] != "qwen3-max" || messagesOf(last)[0]["chat_type"] != "search" || len(got.Choices[0].Message.Annotations) != 2 {
		t.Fatalf("upstream %v, answer %+v", last, got.Choices[0].Message)
	}
}

// The Responses API gets the sources as url_citation annotations of its
// output_text, streamed or not, spanning the appended list's lines.
func TestResponsesCiteTheSearchSources(t *testing.T) {
	e := start(t, nil)
	type text struct {
		Text        string `json:"text"`
		Annotations []struct {
			Type       string `json:"type"`
			StartIndex int    `json:"start_index"`
			EndIndex   int    `json:"end_index"`
			URL        string `json:"url"`
		} `json:"annotations"`
	}
	check := func(part text) {
		t.Helper()
		runes := []rune(part.Text)
		if len(part.Annotations) != 2 {
			t.Fatalf("annotations %+v", part)
		}
		for i, a := range part.Annotations {
			if a.Type != "url_citation" || a.EndIndex > len(runes) || !strings.HasPrefix(string(runes[a.StartIndex:a.EndIndex]), fmt.Sprintf("[%d] [", i+1)) {
				t.Fatalf("annotation %d %+v of %q", i, a, part.Text)
			}
		}
	}
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max-search","input":"news of Oslo"}`, nil)
	var body struct {
		Output []struct {
			Type    string `json:"type"`
			Content []text `json:"content"`
		} `json:"output"`
	}
	// The search's web_search_call item, then the message.
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Output) != 2 || body.Output[0].Type != "web_search_call" {
		t.Fatalf("%v %+v", err, body)
	}
	check(body.Output[1].Content[0])

	// A stream announces each annotation (response.output_text.annotation.added,
	// numbered, before the text's done event), as OpenAI's does, and repeats
	// them in the done events.
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max-search","input":"news of Bergen","stream":true}`, nil)
	var done, added text
	textDone := false
	for _, line := range strings.Split(readBody(t, resp), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Type            string          `json:"type"`
			Part            text            `json:"part"`
			Text            string          `json:"text"`
			AnnotationIndex int             `json:"annotation_index"`
			Annotation      json.RawMessage `json:"annotation"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case "response.output_text.annotation.added":
			if textDone || ev.AnnotationIndex != len(added.Annotations) {
				t.Fatalf("annotation %d announced out of order: %s", ev.AnnotationIndex, data)
			}
			var a struct {
				Type       string `json:"type"`
				StartIndex int    `json:"start_index"`
				EndIndex   int    `json:"end_index"`
				URL        string `json:"url"`
			}
			if err := json.Unmarshal(ev.Annotation, &a); err != nil {
				t.Fatal(err)
			}
			added.Annotations = append(added.Annotations, a)
		case "response.output_text.done":
			textDone, added.Text = true, ev.Text
		case "response.content_part.done":
			done = ev.Part
		}
	}
	check(done)
	check(added)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// RECORD_IMAGE_BYTES=true keeps the image in the recorded request.
func TestImageBytesCanBeRecorded(t *testing.T) {
	e := start(t, func(c *config.Config) { c.RecordImageBytes = true })
	b64 := base64.StdEncoding.EncodeToString(testPNG(t))
	params := chatParams(imageMessage("look", "data:image/png;base64,"+b64))
	params.Model = "qwen3-vl-plus"
	if _, err := e.client.Chat.Completions.New(ctxT(t), params); err != nil {
		t.Fatal(err)
	}
	if r := e.lastRow(); !strings.Contains(r.OpenAIRequest.String, b64) {
		t.Fatalf("recorded %s", r.OpenAIRequest.String)
	}
}

// A chat Qwen lost is replaced by a new one with the history replayed: the
// history's images go up again, for the new chat.
func TestAReplayedHistoryTakesItsImagesAlong(t *testing.T) {
	e := start(t, nil)
	first := imageMessage("what is in this picture?", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(testPNG(t)))
	params := chatParams(first)
	params.Model = "qwen3-vl-plus"
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	e.sim.ForgetChats()
	params.Messages = []openai.ChatCompletionMessageParamUnion{first, openai.AssistantMessage(got.Choices[0].Message.Content), openai.UserMessage("and now?")}
	got, err = e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	files := lastMessage(t, e)["files"].([]any)
	if e.sim.Uploads() != 2 || len(files) != 1 || !strings.Contains(got.Choices[0].Message.Content, "I see 1 image") {
		t.Fatalf("uploads %d, files %v, answer %q", e.sim.Uploads(), files, got.Choices[0].Message.Content)
	}
}

// TestCapabilityChecksAreTheDocumentedOnes pins the rule README states:
// names are checked against Qwen's list (qwen3-max-thinking is a 400, as it
// is not listed), web_search_options is a 400 for a model without search,
// and the thinking fields go to Qwen whatever the list says (agents send
// them for every model).
func TestCapabilityChecksAreTheDocumentedOnes(t *testing.T) {
	e := start(t, nil)
	msgs := `"messages":[{"role":"user","content":"think about it"}]`
	for _, c := range []struct{ body, code string }{
		{`{"model":"qwen3-max-thinking",` + msgs + `}`, "model_variant_unsupported"},
		{`{"model":"qwen3-vl-plus","web_search_options":{},` + msgs + `}`, "model_capability_unsupported"},
	} {
		resp := postJSON(t, e, "/v1/chat/completions", c.body, nil)
		if env := decodeEnvelope(t, resp); resp.StatusCode != http.StatusBadRequest || env.Error.Code == nil || *env.Error.Code != c.code {
			t.Errorf("%s: %d %+v", c.body, resp.StatusCode, env)
		}
	}
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"qwen3-max","reasoning_effort":"high",` + msgs + `}`},
		{"/v1/messages", `{"model":"claude-x","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},` + msgs + `}`},
		{"/v1/responses", `{"model":"gpt-5","reasoning":{"effort":"high"},"input":"think about it"}`},
	} {
		if resp := postJSON(t, e, c.path, c.body, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", c.body, resp.StatusCode)
		}
		if fc := lastMessage(t, e)["feature_config"].(map[string]any); fc["thinking_enabled"] != true {
			t.Errorf("%s: feature_config %v upstream", c.body, fc)
		}
	}
}

// A Responses request has no messages: its refused images name the field it
// sent them in, input — the image's own place in it when the image is at
// fault — as its other errors do.
func TestResponsesImageErrorsNameTheInput(t *testing.T) {
	e := start(t, nil)
	b64 := base64.StdEncoding.EncodeToString(testPNG(t))
	for _, c := range []struct{ model, url, code, param string }{
		{"qwen3-vl-plus", "data:image/png;base64,AAAA", "invalid_image", "input[0].content[0].image_url"},
		{qwensim.TextOnlyModel, "data:image/png;base64," + b64, "model_capability_unsupported", "input"},
	} {
		resp := postJSON(t, e, "/v1/responses", `{"model":"`+c.model+`","input":[{"role":"user","content":[`+
			`{"type":"input_image","image_url":"`+c.url+`"}]}]}`, nil)
		body := readBody(t, resp)
		var got struct {
			Error struct{ Param, Code string }
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if resp.StatusCode != 400 || got.Error.Code != c.code || got.Error.Param != c.param {
			t.Errorf("%s: want a 400 %s with param %s, got %d %s", c.model, c.code, c.param, resp.StatusCode, body)
		}
	}
}

// An image sent inline is bounded by the body's limit as well as by
// IMAGE_MAX_BYTES, at 4/3 of its size (base64): an image within
// IMAGE_MAX_BYTES but too big a body is refused with a 413 that names the
// setting to raise; it said only "exceeds the limit of N bytes".
func TestAnInlineImageOverTheBodyLimitSaysWhich(t *testing.T) {
	e := start(t, func(c *config.Config) { c.MaxBodyBytes = 4096 })
	img := bytes.Repeat(testPNG(t), 4096/len(testPNG(t))) // under IMAGE_MAX_BYTES, over the body's limit as base64
	for _, path := range []string{"/v1/chat/completions", "/v1/messages"} {
		body := `{"model":"qwen3-vl-plus","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,` +
			base64.StdEncoding.EncodeToString(img) + `"}}]}]}`
		resp := postJSON(t, e, path, body, nil)
		got := readBody(t, resp)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(got, "MAX_BODY_BYTES") || !strings.Contains(got, "4/3") {
			t.Errorf("%s: want a 413 naming MAX_BODY_BYTES and an inline image's size, got %d %s", path, resp.StatusCode, got)
		}
	}
}

// An image variant answers with a picture, which no search sources: its
// chat is Qwen's t2i, not search. web_search_options beside it is a 400, as
// on a model without search; the image came back as if searched.
func TestAnImageVariantRefusesWebSearchOptions(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage("a fox, searched"))
	params.Model = "qwen3-max-image"
	_, err := e.client.Chat.Completions.New(ctxT(t), params, option.WithJSONSet("web_search_options", map[string]any{}))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "web_search_options" || apiErr.Code != "model_capability_unsupported" ||
		!strings.Contains(apiErr.Message, "qwen3-max-image") {
		t.Fatalf("want a 400 naming the variant, got %v", err)
	}
	if len(upstreamCompletions(t, e.sim)) != 0 || len(e.rows()) != 0 {
		t.Fatal("Qwen was asked, or the call recorded")
	}
}

// Anthropic's Messages API and legacy completions have no annotations: with
// SEARCH_SOURCES=annotations their clients still get the sources, as the
// appended list, streamed or not. They got a searched answer with no sources
// at all.
func TestClientsWithoutAnnotationsKeepTheSources(t *testing.T) {
	e := start(t, func(c *config.Config) { c.SearchSources = "annotations" })
	for _, stream := range []string{"false", "true"} {
		resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-max-search","max_tokens":100,"stream":`+stream+
			`,"messages":[{"role":"user","content":"news please"}]}`, nil)
		body := readBody(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(body, `Sources:`) || !strings.Contains(body, "https://example.com/") {
			t.Errorf("stream %s: no sources: %d %s", stream, resp.StatusCode, body)
		}
		// Nor have legacy completions.
		resp = postJSON(t, e, "/v1/completions", `{"model":"qwen3-max-search","stream":`+stream+`,"prompt":"news please"}`, nil)
		body = readBody(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(body, `Sources:`) || !strings.Contains(body, "https://example.com/") {
			t.Errorf("legacy, stream %s: no sources: %d %s", stream, resp.StatusCode, body)
		}
	}
	// Chat completions keep annotations only.
	params := chatParams(openai.UserMessage("news please"))
	params.Model = "qwen3-max-search"
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if msg := got.Choices[0].Message; strings.Contains(msg.Content, "Sources:") || len(msg.Annotations) != 2 {
		t.Fatalf("chat: %q %+v", msg.Content, msg.Annotations)
	}
}

// An Anthropic client sends images as base64 sources or URL sources, never
// as data: URLs: a refused one is told in its terms. It was told to "send
// the image as a data: URL", and that its base64 source was a malformed
// data: URL.
func TestAnthropicImageErrorsSpeakOfItsSources(t *testing.T) {
	e := start(t, nil)
	for _, c := range []struct{ source, want, not string }{
		{`{"type":"url","url":"https://example.com/cat.png"}`, "base64 source", "as a data: URL"},
		{`{"type":"base64","media_type":"image/png","data":"!!!"}`, "base64 is malformed", "data: URL's"},
	} {
		resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-vl-plus","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":`+c.source+`}]}]}`, nil)
		body := readBody(t, resp)
		if resp.StatusCode != 400 || !strings.Contains(body, c.want) || strings.Contains(body, c.not) {
			t.Errorf("%s: want a 400 saying %q, got %d %s", c.source, c.want, resp.StatusCode, body)
		}
	}
}
