package e2e

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// POST /v1/images/edits through the official SDK: the image(s) go up as the
// vision upload sends them, to an image_edit chat, and the edited image
// comes back as a generation's does (its URL, or its bytes); the record
// keeps references to the images, not their bytes.
func TestImageEditThroughTheSDK(t *testing.T) {
	e := start(t, nil)
	pic := testPNG(t)
	got, err := e.client.Images.Edit(ctxT(t), openai.ImageEditParams{
		Image:          openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(pic), "cat.png", "image/png")},
		Prompt:         "make the cat blue",
		Model:          "qwen3-max",
		Size:           openai.ImageEditParamsSize1024x1024,
		ResponseFormat: openai.ImageEditParamsResponseFormatURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	url := got.Data[0].URL
	if len(got.Data) != 1 || !strings.HasPrefix(url, e.sim.URL+"/") || got.Data[0].B64JSON != "" {
		t.Fatalf("%+v", got.Data)
	}
	var newChat string
	for _, c := range e.sim.Calls() {
		if c.Endpoint == qwensim.EndpointNewChat {
			newChat = string(c.Body)
		}
	}
	m := lastMessage(t, e)
	files, _ := m["files"].([]any)
	if m["chat_type"] != "image_edit" || m["content"] != "make the cat blue" || len(files) != 1 || !strings.Contains(newChat, `"chat_type":"image_edit"`) {
		t.Fatalf("upstream %v / %s", m, newChat)
	}
	if f := files[0].(map[string]any); f["file_class"] != "vision" || f["size"] != float64(len(pic)) {
		t.Fatalf("file %v", f)
	}
	r := e.lastRow()
	if r.Path != "/v1/images/edits" || r.Status != "success" || r.Model != "qwen3-max" || !strings.Contains(r.OpenAIResponse.String, url) ||
		!strings.Contains(r.OpenAIRequest.String, "make the cat blue") || !strings.Contains(r.OpenAIRequest.String, "sha256:") ||
		strings.Contains(r.OpenAIRequest.String, base64.StdEncoding.EncodeToString(pic)[:40]) || strings.Contains(r.QwenRequest.String, "x-oss-") {
		t.Fatalf("record %+v", r)
	}

	// Two images, b64_json, the -image-edit name: both go up, the bytes come back.
	got, err = e.client.Images.Edit(ctxT(t), openai.ImageEditParams{
		Image: openai.ImageEditParamsImageUnion{OfFileArray: []io.Reader{
			openai.File(bytes.NewReader(pic), "a.png", "image/png"), openai.File(bytes.NewReader(testJPEG(t)), "b.jpg", "image/jpeg")}},
		Prompt:         "put them side by side",
		Model:          "qwen3-max-image-edit",
		ResponseFormat: openai.ImageEditParamsResponseFormatB64JSON,
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := base64.StdEncoding.DecodeString(got.Data[0].B64JSON)
	if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Fatalf("b64_json %v %q", err, data[:min(len(data), 8)])
	}
	if files, _ := lastMessage(t, e)["files"].([]any); len(files) != 2 {
		t.Fatalf("files %v", files)
	}
	if r := e.lastRow(); strings.Contains(r.OpenAIResponse.String, got.Data[0].B64JSON) || !strings.Contains(r.OpenAIResponse.String, "bytes]") {
		t.Fatalf("recorded %s", r.OpenAIResponse.String)
	}
}

// editForm is a multipart body of fields and files (name, filename, bytes).
func editForm(t *testing.T, fields map[string]string, files ...[3]string) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	for _, f := range files {
		part, err := w.CreateFormFile(f[0], f[1])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = part.Write([]byte(f[2]))
	}
	_ = w.Close()
	return w.FormDataContentType(), &b
}

func postForm(t *testing.T, e *env, contentType string, body string) (int, string) {
	t.Helper()
	resp := send(t, e, http.MethodPost, "/v1/images/edits", contentType, body, nil)
	return resp.StatusCode, readBody(t, resp)
}

// testJPEG is a small JPEG.
func testJPEG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Bad edits are 400s naming the field, and change nothing: no upload, no
// completion, no record.
func TestImageEditRefusesBadInput(t *testing.T) {
	e := start(t, func(c *config.Config) { c.ImageMaxCount = 2 })
	pic := string(testPNG(t))
	img := [3]string{"image", "cat.png", pic}
	for name, c := range map[string]struct {
		fields map[string]string
		files  [][3]string
		param  string
	}{
		"no image":        {map[string]string{"prompt": "blue"}, nil, "image"},
		"no prompt":       {nil, [][3]string{img}, "prompt"},
		"a mask":          {map[string]string{"prompt": "blue"}, [][3]string{img, {"mask", "mask.png", pic}}, "mask"},
		"not an image":    {map[string]string{"prompt": "blue"}, [][3]string{{"image", "a.txt", "hello, not a picture"}}, "image"},
		"too many":        {map[string]string{"prompt": "blue"}, [][3]string{img, {"image[]", "b.png", pic}, {"image[]", "c.png", pic}}, "image"},
		"an image field":  {map[string]string{"prompt": "blue", "image": "https://example.com/cat.png"}, nil, "image"},
		"two":             {map[string]string{"prompt": "blue", "n": "2"}, [][3]string{img}, "n"},
		"bad size":        {map[string]string{"prompt": "blue", "size": "huge"}, [][3]string{img}, "size"},
		"bad format":      {map[string]string{"prompt": "blue", "response_format": "gif"}, [][3]string{img}, "response_format"},
		"no edits":        {map[string]string{"prompt": "blue", "model": qwensim.TextOnlyModel}, [][3]string{img}, "model"},
		"thinking":        {map[string]string{"prompt": "blue", "model": "qwen3-vl-plus-thinking"}, [][3]string{img}, "model"},
		"a generation":    {map[string]string{"prompt": "blue", "model": "qwen3-max-image"}, [][3]string{img}, "model"},
		"streamed":        {map[string]string{"prompt": "blue", "stream": "true"}, [][3]string{img}, "stream"},
		"an unknown part": {map[string]string{"prompt": "blue"}, [][3]string{img, {"markup", "m.svg", "<svg/>"}}, "markup"},
	} {
		ct, body := editForm(t, c.fields, c.files...)
		status, b := postForm(t, e, ct, body.String())
		if status != 400 || !strings.Contains(b, `"param":"`+c.param+`"`) {
			t.Errorf("%s: %d %s", name, status, b)
		}
	}
	status, b := postForm(t, e, "application/json", `{"prompt":"blue"}`)
	if status != http.StatusUnsupportedMediaType || !strings.Contains(b, "multipart/form-data") {
		t.Errorf("JSON: %d %s", status, b)
	}
	if len(e.rows()) != 0 || e.sim.Uploads() != 0 || len(upstreamCompletions(t, e.sim)) != 0 {
		t.Fatal("a refused edit changed something")
	}
	// The generation endpoint does not take the edit variant.
	_, err := e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a fox", Model: "qwen3-max-image-edit"})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "model" {
		t.Fatalf("generation with -image-edit: %v", err)
	}
}

// RECORD_IMAGE_BYTES keeps an edit's images in its record, as data: URLs.
func TestImageEditRecordsImageBytesWhenAsked(t *testing.T) {
	e := start(t, func(c *config.Config) { c.RecordImageBytes = true })
	pic := testPNG(t)
	ct, body := editForm(t, map[string]string{"prompt": "blue", "model": "qwen3-max"}, [3]string{"image", "cat.png", string(pic)})
	if status, b := postForm(t, e, ct, body.String()); status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	e.sync()
	if r := e.lastRow(); !strings.Contains(r.OpenAIRequest.String, `"image":["data:image/png;base64,`+base64.StdEncoding.EncodeToString(pic)+`"]`) {
		t.Fatalf("recorded %s", r.OpenAIRequest.String)
	}
}

// Form encoders that number a list's elements send image[0], image[1]:
// both are the edit's images, as image[] is (before, they were unknown
// fields: the edit was refused for want of an image).
func TestImageEditTakesNumberedImageParts(t *testing.T) {
	e := start(t, nil)
	pic := string(testPNG(t))
	ct, body := editForm(t, map[string]string{"prompt": "side by side", "model": "qwen3-max"},
		[3]string{"image[0]", "a.png", pic}, [3]string{"image[1]", "b.png", pic})
	if status, b := postForm(t, e, ct, body.String()); status != 200 || !strings.Contains(b, `"url"`) {
		t.Fatalf("%d %s", status, b)
	}
	if files, _ := lastMessage(t, e)["files"].([]any); len(files) != 2 {
		t.Fatalf("files %v", files)
	}
}
