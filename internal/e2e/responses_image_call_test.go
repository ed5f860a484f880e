package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"strings"
	"testing"
)

// The Responses API's hosted image generation tool is Qwen's own: forced by
// tool_choice ({"type":"image_generation"}, or "required" with it alone),
// or declared beside an -image model, the turn draws (Qwen's t2i chat) and
// answers as OpenAI's does, with an image_generation_call item whose result
// is the image as base64, streamed as output_item.added,
// response.image_generation_call.in_progress, .generating, .completed and
// output_item.done. Forcing it was a 400 ("only function and custom tools
// are emulated"), and the -image model answered with Markdown text. The
// record keeps the image's size, not its bytes; a model that cannot draw,
// or a variant that thinks or searches, is a 400 naming tool_choice; the
// resent item goes on in the same chat.
func TestResponsesImageGenerationToolAnswersWithAnImageGenerationCall(t *testing.T) {
	e := start(t, nil)
	type item struct {
		ID, Type, Status string
		Result           *string
	}
	image := func(name string, output json.RawMessage) {
		t.Helper()
		var items []item
		if err := json.Unmarshal(output, &items); err != nil || len(items) != 1 || items[0].Type != "image_generation_call" ||
			items[0].Status != "completed" || !strings.HasPrefix(items[0].ID, "ig_") || items[0].Result == nil {
			t.Fatalf("%s: output %s", name, output)
		}
		data, err := base64.StdEncoding.DecodeString(*items[0].Result)
		if err == nil {
			_, err = png.Decode(bytes.NewReader(data))
		}
		if err != nil {
			t.Fatalf("%s: the result is no base64 PNG: %v", name, err)
		}
	}
	for name, body := range map[string]string{
		"forced":           `{"model":"qwen3-max","tools":[{"type":"image_generation","size":"1024x1024"}],"tool_choice":{"type":"image_generation"},"input":"a red fox"}`,
		"required, alone":  `{"model":"qwen3-max","tools":[{"type":"image_generation"}],"tool_choice":"required","input":"a red fox"}`,
		"the -image model": `{"model":"qwen3-max-image","tools":[{"type":"image_generation"}],"input":"a red fox"}`,
		"forced, streamed": `{"model":"qwen3-max","stream":true,"tools":[{"type":"image_generation"}],"tool_choice":{"type":"image_generation"},"input":"a red fox"}`,
		"-image, streamed": `{"model":"qwen3-max-image","stream":true,"tools":[{"type":"image_generation"}],"input":"a red fox"}`,
	} {
		streamed := strings.Contains(body, `"stream":true`)
		final := finalResponse(t, postJSON(t, e, "/v1/responses", body, nil), streamed)
		image(name, final.Output)
		e.sync()
		row := e.lastRow()
		if kept := row.OpenAIResponse.String; !strings.Contains(kept, `"result":"[image `) || strings.Contains(kept, "iVBORw0KGgo") {
			t.Errorf("%s: recorded %s", name, kept)
		}
	}

	// The stream's events of the image.
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","stream":true,"tools":[{"type":"image_generation"}],"tool_choice":{"type":"image_generation"},"input":"a red fox"}`, nil)
	var types []string
	for _, data := range sseData(t, resp) {
		var ev struct {
			Type string `json:"type"`
			Item item   `json:"item"`
		}
		_ = json.Unmarshal([]byte(data), &ev)
		if ev.Item.Type == "image_generation_call" || strings.HasPrefix(ev.Type, "response.image_generation_call.") {
			types = append(types, ev.Type)
		}
	}
	want := "response.output_item.added response.image_generation_call.in_progress response.image_generation_call.generating response.image_generation_call.completed response.output_item.done"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}

	// Resent as history, the item goes on in the same chat.
	first := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"image_generation"}],"tool_choice":{"type":"image_generation"},"input":"a blue fox"}`, nil)
	var answer struct{ Output []json.RawMessage }
	if err := json.NewDecoder(first.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	// The history shows the image as the record keeps it: its size and URL.
	e.sync()
	status, transcript := getJSON(t, e, http.MethodGet, "/v1/sessions/"+first.Header.Get("X-Session-Id")+"/transcript")
	shown, _ := json.Marshal(transcript["data"])
	if status != http.StatusOK || !strings.Contains(string(shown), `"content":"[image `) || !strings.Contains(string(shown), `.png]"`) {
		t.Errorf("transcript %d: %s", status, shown)
	}
	history, _ := json.Marshal(append(append([]json.RawMessage{json.RawMessage(`{"role":"user","content":"a blue fox"}`)}, answer.Output...),
		json.RawMessage(`{"role":"user","content":"what did you draw?"}`)))
	next := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"image_generation"}],"input":`+string(history)+`}`, nil)
	if body := readBody(t, next); next.StatusCode != http.StatusOK || next.Header.Get("X-Session-Id") != first.Header.Get("X-Session-Id") || !strings.Contains(body, "Earlier answers of mine: 1") {
		t.Errorf("resent: %d (session %s, want %s) %s", next.StatusCode, next.Header.Get("X-Session-Id"), first.Header.Get("X-Session-Id"), body)
	}
	// Its call's input in the history is the new question alone: the image
	// item resent is the answer it follows.
	e.sync()
	_, transcript = getJSON(t, e, http.MethodGet, "/v1/sessions/"+first.Header.Get("X-Session-Id")+"/transcript")
	calls, _ := transcript["data"].([]any)
	if len(calls) != 2 {
		t.Fatalf("transcript: %v", transcript)
	}
	if input, _ := json.Marshal(calls[1].(map[string]any)["input"]); string(input) != `[{"content":"what did you draw?","role":"user"}]` {
		t.Errorf("the second call's input: %s", input)
	}

	// Declared, not forced, on a model's plain name: not offered (Qwen's
	// text chat does not draw), the answer is text.
	final := finalResponse(t, postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"image_generation"}],"input":"hello"}`, nil), false)
	if items := outputItems(t, final.Output); len(items) != 1 || items[0].Type != "message" {
		t.Errorf("not forced: %+v", items)
	}

	for body, code := range map[string]string{
		`{"model":"qwq-32b","tools":[{"type":"image_generation"}],"tool_choice":{"type":"image_generation"},"input":"draw"}`:                                                 "model_capability_unsupported",
		`{"model":"qwen3-max-search","tools":[{"type":"image_generation"}],"tool_choice":{"type":"image_generation"},"input":"draw"}`:                                        "model_variant_unsupported",
		`{"model":"qwen3-max","tools":[{"type":"image_generation"}],"tool_choice":{"type":"image_generation"},"text":{"format":{"type":"json_object"}},"input":"x as json"}`: "model_capability_unsupported",
	} {
		env := decodeEnvelope(t, postJSON(t, e, "/v1/responses", body, nil))
		if env.Error.Code == nil || *env.Error.Code != code || env.Error.Param == nil || (*env.Error.Param != "tool_choice" && *env.Error.Param != "text.format") {
			t.Errorf("%s: %+v, want %s", body, env.Error, code)
		}
	}
}

// An image_generation_call resent as input (the proxy's own, or one of a
// conversation begun at OpenAI) carries the image as base64 in its result:
// the record keeps a reference to it, as to any image a client sends
// (RECORD_IMAGE_BYTES=false), not its bytes. They were recorded whole.
func TestAResentImageGenerationCallIsRecordedAsAReference(t *testing.T) {
	e := start(t, nil)
	first := finalResponse(t, postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"image_generation"}],"tool_choice":{"type":"image_generation"},"input":"a fox"}`, nil), false)
	var items []json.RawMessage
	if err := json.Unmarshal(first.Output, &items); err != nil || len(items) != 1 {
		t.Fatalf("output %s", first.Output)
	}
	input, _ := json.Marshal([]json.RawMessage{json.RawMessage(`{"role":"user","content":"a fox"}`), items[0], json.RawMessage(`{"role":"user","content":"again"}`)})
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":`+string(input)+`}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	e.sync()
	kept := e.lastRow().OpenAIRequest.String
	if strings.Contains(kept, "iVBORw0KGgo") || !strings.Contains(kept, `"result":"[image, `) {
		t.Fatalf("recorded request %s", kept)
	}
}

// The image generation tool's settings are held to what POST
// /v1/images/generations holds the same fields to: its size is sent as the
// nearest ratio Qwen takes, and, when the turn draws, what Qwen cannot give
// — a transparent background, another format than PNG, partial images, a
// mask — is a 400 naming it, as a malformed value always is, not an image
// that quietly differs. They were taken unread. Declared and not used (an
// agent may declare it on every call), a valid setting passes.
func TestTheImageGenerationToolsSettingsAreChecked(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"image_generation","size":"1536x1024","quality":"high","background":"opaque","output_format":"png","moderation":"low","output_compression":80}],"tool_choice":{"type":"image_generation"},"input":"a fox"}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	e.sync()
	if q := e.lastRow().QwenRequest.String; !strings.Contains(q, `"size":"4:3"`) {
		t.Errorf("the size was not sent as Qwen's ratio: %s", q)
	}
	for setting, param := range map[string]string{
		`"background":"transparent"`: "tools[0].background",
		`"output_format":"jpeg"`:     "tools[0].output_format",
		`"partial_images":2`:         "tools[0].partial_images",
		`"size":"huge"`:              "tools[0].size",
		`"quality":"ultra"`:          "tools[0].quality",
		`"input_image_mask":{"image_url":"data:image/png;base64,AAAA"}`: "tools[0].input_image_mask",
	} {
		env := decodeEnvelope(t, postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"image_generation",`+setting+`}],"tool_choice":{"type":"image_generation"},"input":"a fox"}`, nil))
		if env.Error.Param == nil || *env.Error.Param != param {
			t.Errorf("%s: %+v, want a 400 naming %s", setting, env.Error, param)
		}
	}
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"image_generation","output_format":"webp","background":"transparent","partial_images":2}],"input":"hello"}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Errorf("declared, not used: %d %s", resp.StatusCode, body)
	}
	env := decodeEnvelope(t, postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"image_generation","output_format":"gif"}],"input":"hello"}`, nil))
	if env.Error.Param == nil || *env.Error.Param != "tools[0].output_format" {
		t.Errorf("a malformed setting: %+v", env.Error)
	}
}
