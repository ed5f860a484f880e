package estimate

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"testing"

	qp "qwenproxy"
)

func pngURL(t *testing.T, w, h int) string {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

// An image counts by its size, as Anthropic counts it (w·h/750 after
// scaling to 1568 px and 1.15 MP); one whose size is not read counts as the
// largest. Images were not counted at all: a 300×300 image and a 1×1 one
// both added nothing.
func TestImagesCountByTheirSize(t *testing.T) {
	for _, c := range []struct {
		url  string
		want int
	}{
		{pngURL(t, 300, 300), 120},
		{pngURL(t, 1, 1), 1},
		{pngURL(t, 3000, 1000), 1092}, // 1568×522.67
		{pngURL(t, 2000, 2000), 1533}, // 1568² is over 1.15 MP
		{"https://example.com/cat.png", 1533},
		{"data:image/webp;base64,UklGRg==", 1533},
	} {
		if got := imageTokens(c.url); got != c.want {
			t.Errorf("%.40s: %d, want %d", c.url, got, c.want)
		}
	}
	text := Tokens([]qp.Message{{Role: "user", Text: "what"}}, nil)
	with := Tokens([]qp.Message{{Role: "user", Text: "what", Images: []qp.Image{{URL: pngURL(t, 300, 300)}}}}, nil)
	if with-text != 120 {
		t.Errorf("an image added %d tokens to the message", with-text)
	}
}
