package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// imageRefs replaces the images' bytes and nothing else: the body keeps its
// keys' order and spacing (it was re-encoded from a tree, keys sorted).
func TestImageReferencesChangeOnlyTheImages(t *testing.T) {
	s := &Server{}
	pic := []byte("\x89PNG fake")
	sum := sha256.Sum256(pic)
	ref := fmt.Sprintf(`"[image image/png, %d bytes, sha256:%s]"`, len(pic), hex.EncodeToString(sum[:]))
	in := `{"model": "m", "messages": [{"role": "user", "content": [` +
		`{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORyBmYWtl"}},` +
		` {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORyBmYWtl"}}, {"type": "text", "text": "a & b"}, {"type": "text", "text": "data:text/plain,hello"}]}]}`
	want := `{"model": "m", "messages": [{"role": "user", "content": [` +
		`{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": ` + ref + `}},` +
		` {"type": "image_url", "image_url": {"url": ` + ref + `}}, {"type": "text", "text": "a & b"}, {"type": "text", "text": "data:text/plain,hello"}]}]}`
	if got := string(s.imageRefs([]byte(in))); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
