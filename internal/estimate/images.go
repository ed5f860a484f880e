package estimate

import (
	"encoding/base64"
	"image"
	_ "image/gif" // the image types whose size DecodeConfig reads
	_ "image/jpeg"
	_ "image/png"
	"strings"

	qp "qwenproxy"
)

// Anthropic's image token count (its vision docs): width × height / 750,
// after the image is scaled down to fit maxEdge pixels on its long edge and
// maxPixels in all.
const (
	maxEdge           = 1568
	maxPixels         = 1_150_000
	pixelsPerToken    = 750
	maxImageTokens    = maxPixels / pixelsPerToken // ~1,533: an image of unknown size
	headerBase64Bytes = 64 << 10                   // enough of an image for its size
)

// imageTokens estimates an image's tokens from its size, read from the
// start of a data: URL's bytes (PNG, JPEG, GIF). An image whose size is not
// read so (an http(s) URL, not fetched to count it; a WebP) counts as the
// largest.
func imageTokens(url string) int {
	_, data, ok := strings.Cut(url, ";base64,")
	if !ok || !qp.IsDataURL(url) {
		return maxImageTokens
	}
	data = data[:min(len(data), headerBase64Bytes)]
	cfg, _, err := image.DecodeConfig(base64.NewDecoder(base64.StdEncoding, strings.NewReader(data)))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return maxImageTokens
	}
	w, h := float64(cfg.Width), float64(cfg.Height)
	if scale := maxEdge / max(w, h); scale < 1 {
		w, h = w*scale, h*scale
	}
	return max(1, int(min(w*h, maxPixels)/pixelsPerToken))
}
