package e2e

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/openai/openai-go/v3"
)

// The GPT image models answer only base64 (OpenAI's reference: "GPT image
// models always return base64-encoded images"), so their clients read
// b64_json and nothing else; without response_format, a generation or an
// edit named after one answers so, as does an edit that names no model
// (OpenAI's default edit model is one). DALL·E names keep the URL, and an
// explicit response_format wins.
func TestGPTImageModelsAnswerBase64ByDefault(t *testing.T) {
	e := start(t, nil)
	isPNG := func(what string, d openai.Image) {
		t.Helper()
		b, err := base64.StdEncoding.DecodeString(d.B64JSON)
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) || d.URL != "" {
			t.Fatalf("%s: want the image's bytes alone, got url %q, b64_json %q (%v)", what, d.URL, d.B64JSON, err)
		}
	}
	isURL := func(what string, d openai.Image) {
		t.Helper()
		if d.URL == "" || d.B64JSON != "" {
			t.Fatalf("%s: want the image's URL alone, got %+v", what, d)
		}
	}

	// chatgpt-image-latest, OpenAI's other GPT image name, was a 404
	// model_not_found: chatgpt-* reached no model without a MODEL_MAP.
	for _, model := range []string{"gpt-image-1", "gpt-image-1.5", "gpt-image-2", "chatgpt-image-latest"} {
		got, err := e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a red fox", Model: model})
		if err != nil {
			t.Fatal(err)
		}
		isPNG("generation by "+model, got.Data[0])
	}
	got, err := e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a red fox", Model: "dall-e-3"})
	if err != nil {
		t.Fatal(err)
	}
	isURL("generation by dall-e-3", got.Data[0])
	got, err = e.client.Images.Generate(ctxT(t), openai.ImageGenerateParams{Prompt: "a red fox", Model: "gpt-image-1",
		ResponseFormat: openai.ImageGenerateParamsResponseFormatURL})
	if err != nil {
		t.Fatal(err)
	}
	isURL("generation by gpt-image-1 asking for url", got.Data[0])

	pic := testPNG(t)
	edit := func(model string, format openai.ImageEditParamsResponseFormat) openai.Image {
		t.Helper()
		got, err := e.client.Images.Edit(ctxT(t), openai.ImageEditParams{
			Image:          openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(pic), "cat.png", "image/png")},
			Prompt:         "make the cat blue",
			Model:          openai.ImageModel(model),
			ResponseFormat: format,
		})
		if err != nil {
			t.Fatal(err)
		}
		return got.Data[0]
	}
	isPNG("edit by gpt-image-1", edit("gpt-image-1", ""))
	isPNG("edit by chatgpt-image-latest", edit("chatgpt-image-latest", ""))
	isPNG("edit naming no model", edit("", ""))
	isURL("edit by dall-e-2", edit("dall-e-2", ""))
	isURL("edit naming no model asking for url", edit("", openai.ImageEditParamsResponseFormatURL))
	if r := e.lastRow(); r.Status != "success" {
		t.Fatalf("record %+v", r)
	}
}
