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

// The record's reference describes the bytes the upload took: a data: URL
// whose data is %-escaped rather than base64, or whose base64 is spaced or
// marked ";BASE64", is recorded with the image's own size and digest, not
// those of its encoding.
func TestImageReferencesDescribeTheBytesUploaded(t *testing.T) {
	s := &Server{}
	pic := []byte("\x89PNG fake")
	sum := sha256.Sum256(pic)
	ref := fmt.Sprintf(`"[image image/png, %d bytes, sha256:%s]"`, len(pic), hex.EncodeToString(sum[:]))
	for _, u := range []string{"data:image/png,%89PNG%20fake", "data:image/png;BASE64,iVBORyBmYWtl", "data:image/png;base64,iVBO RyBm YWtl"} {
		in := `{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "` + u + `"}}]}]}`
		want := `{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": ` + ref + `}}]}]}`
		if got := string(s.imageRefs([]byte(in))); got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", u, got, want)
		}
	}
	in := `{"type": "base64", "media_type": "image/png", "data": "iVBORyBm\nYWtl"}`
	if got, want := string(s.imageRefs([]byte(in))), `{"type": "base64", "media_type": "image/png", "data": `+ref+`}`; got != want {
		t.Errorf("wrapped Anthropic base64:\ngot  %s\nwant %s", got, want)
	}
}
