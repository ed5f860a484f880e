package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
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

// An image part's data: URL is recorded as a reference whatever type it
// declares — none, application/octet-stream, text/plain — as the upload
// reads the image from its bytes: such an image was taken, and the record
// kept its base64 whole. Text that starts "data:" stays as it was sent.
func TestImagesOfAnyDeclaredTypeAreReferences(t *testing.T) {
	s := &Server{}
	pic := []byte("\x89PNG fake")
	sum := sha256.Sum256(pic)
	for _, declared := range []string{"", "application/octet-stream", "text/plain", " image/png"} {
		ref := fmt.Sprintf(`"[image %s, %d bytes, sha256:%s]"`, strings.TrimSpace(declared), len(pic), hex.EncodeToString(sum[:]))
		if declared == "" {
			ref = fmt.Sprintf(`"[image, %d bytes, sha256:%s]"`, len(pic), hex.EncodeToString(sum[:]))
		}
		u := "data:" + declared + ";base64,iVBORyBmYWtl"
		in := `{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "` + u + `"}}, {"type": "input_image", "image_url": "` + u + `"}, {"type": "text", "text": "data:text/plain,hello"}]}]}`
		want := `{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": ` + ref + `}}, {"type": "input_image", "image_url": ` + ref + `}, {"type": "text", "text": "data:text/plain,hello"}]}]}`
		if got := string(s.imageRefs([]byte(in))); got != want {
			t.Errorf("%q:\ngot  %s\nwant %s", declared, got, want)
		}
	}
}

// An image URL is recorded without its credentials (a password, a signed
// URL's signature), with or without RECORD_IMAGE_BYTES; what it names, and
// every other byte, stays.
func TestImageURLsAreRecordedWithoutTheirCredentials(t *testing.T) {
	in := `{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://me:hunter2@img.example/cat.png"}},` +
		` {"type": "image", "source": {"type": "url", "url": "https://b.example/cat.png?X-Amz-Signature=abc&v=1"}},` +
		` {"type": "input_image", "image_url": "https://b.example/c.png?sig=xyz"}, {"type": "text", "text": "see https://b.example/?sig=kept"}]}]}`
	want := `{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://me:[REDACTED]@img.example/cat.png"}},` +
		` {"type": "image", "source": {"type": "url", "url": "https://b.example/cat.png?X-Amz-Signature=[REDACTED]\u0026v=1"}},` + // jsonw escapes & as encoding/json does
		` {"type": "input_image", "image_url": "https://b.example/c.png?sig=[REDACTED]"}, {"type": "text", "text": "see https://b.example/?sig=kept"}]}]}`
	for _, keepBytes := range []bool{false, true} {
		s := &Server{}
		s.cfg.Capabilities.RecordImageBytes = keepBytes
		for _, body := range []string{in, strings.Replace(in, `{"type": "text"`, `{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORyBmYWtl"}}, {"type": "text"`, 1)} {
			got := string(s.imageRefs([]byte(body)))
			if strings.Contains(got, "hunter2") || strings.Contains(got, "abc") || strings.Contains(got, "xyz") || !strings.Contains(got, "?sig=kept") {
				t.Errorf("RECORD_IMAGE_BYTES=%v:\n%s", keepBytes, got)
			}
			if body == in && got != want {
				t.Errorf("RECORD_IMAGE_BYTES=%v:\ngot  %s\nwant %s", keepBytes, got, want)
			}
		}
	}
}

// A URL whose slashes the client escaped ("https:\/\/", as PHP's
// json_encode writes them) is masked too: the screen that spared bodies
// without "://" the full pass kept its password.
func TestEscapedSlashURLsAreRecordedWithoutTheirCredentials(t *testing.T) {
	in := `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http:\/\/me:hunter2@img.example\/cat.png"}}]}]}`
	for _, keepBytes := range []bool{false, true} {
		s := &Server{}
		s.cfg.Capabilities.RecordImageBytes = keepBytes
		if got := string(s.imageRefs([]byte(in))); strings.Contains(got, "hunter2") || !strings.Contains(got, "img.example") {
			t.Errorf("RECORD_IMAGE_BYTES=%v: %s", keepBytes, got)
		}
	}
}

// A document by URL is recorded by its URL (not the bytes fetched), and
// without the URL's credentials, as an image URL is: a Responses
// input_file's file_url kept a signed URL's signature in the record.
func TestDocumentURLsAreRecordedWithoutTheirCredentials(t *testing.T) {
	in := `{"input": [{"role": "user", "content": [{"type": "input_file", "file_url": "https://docs.example/r.pdf?X-Amz-Signature=abc&v=1"},` +
		` {"type": "document", "source": {"type": "url", "url": "http://me:hunter2@docs.example/a.pdf"}}]}]}`
	want := `{"input": [{"role": "user", "content": [{"type": "input_file", "file_url": "https://docs.example/r.pdf?X-Amz-Signature=[REDACTED]\u0026v=1"},` +
		` {"type": "document", "source": {"type": "url", "url": "http://me:[REDACTED]@docs.example/a.pdf"}}]}]}`
	for _, keepBytes := range []bool{false, true} {
		s := &Server{}
		s.cfg.Capabilities.RecordImageBytes = keepBytes
		if got := string(s.imageRefs([]byte(in))); got != want {
			t.Errorf("RECORD_IMAGE_BYTES=%v:\ngot  %s\nwant %s", keepBytes, got, want)
		}
	}
}

// BenchmarkImageRefs is the recording's pass over a coding agent's request
// (a tool that takes a "url", tool results of source code whose comments
// name URLs, 20 of them, ~130 KB) that holds no image nor any URL to mask.
//
//	go test -run '^$' -bench ImageRefs ./internal/server
func BenchmarkImageRefs(b *testing.B) {
	source, _ := json.Marshal(strings.Repeat("\t// see https://go.dev/doc/effective_go#names\n\tfmt.Println(\"token\", key)\n", 80))
	body := []byte(`{"model":"qwen3-max","tools":[{"type":"function","function":{"name":"web_fetch",` +
		`"parameters":{"type":"object","properties":{"url":{"type":"string","description":"https://example.com/page"}}}}}],"messages":[` +
		`{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"web_fetch","arguments":"{\"url\":\"https://go.dev/doc\"}"}}]},` +
		strings.Repeat(`{"role":"tool","tool_call_id":"call_1","content":`+string(source)+`},`, 20) +
		`{"role":"user","content":"go on"}]}`)
	s := &Server{}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		s.imageRefs(body)
	}
}

// The screen that spares a body imageURLs' pass never spares one the pass
// would change.
func FuzzImageURLScreen(f *testing.F) {
	for _, b := range []string{
		`{"url":"http://me:hunter2@img.example/cat.png"}`, `{"image_url":"https://b.example/c.png?sig=xyz"}`,
		`{"file_url":"https:\/\/d.example\/r.pdf?X-Amz-Signature=abc"}`, `{"u\u0072l":"http://a:b@c"}`,
		`{"url":{"type":"string"},"text":"see https://me:pw@x.example"}`, `{"a":"\"url\":\"http://a:b@c\"","url":"http://x"}`,
		`[{"url" : "http://a:b@c"}]`, `{"url":"http://a:b@c`, `{"url":`,
	} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			return // a recorded request body was decoded first
		}
		out, _ := imageURLs.Rewrite(body)
		if !bytes.Equal(out, body) && !urlsToMask(body) {
			t.Fatalf("the screen spares %s, which the pass makes %s", body, out)
		}
	})
}

// A data: URL whose scheme is in capitals (or spelled with JSON escapes) is
// an image as any other (qp.IsDataURL), so the record keeps its reference,
// not its bytes: until 2026-12-07 a body whose only data: URL was written
// "DATA:" was recorded whole.
func TestADataURLInCapitalsIsRecordedAsAReference(t *testing.T) {
	s := &Server{}
	pic := []byte("\x89PNG fake")
	sum := sha256.Sum256(pic)
	ref := fmt.Sprintf(`"[image image/png, %d bytes, sha256:%s]"`, len(pic), hex.EncodeToString(sum[:]))
	for _, u := range []string{"DATA:image/png;base64,iVBORyBmYWtl", "Data:image/png;base64,iVBORyBmYWtl", `\u0064ata:image/png;base64,iVBORyBmYWtl`} {
		in := `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + u + `"}}]}]}`
		want := `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":` + ref + `}}]}]}`
		if got := string(s.imageRefs([]byte(in))); got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", u, got, want)
		}
	}
	for _, in := range []string{`{"a":"DATA is: here"}`, `{"data":"x","b":"metadata:1"}`} {
		if got := string(s.imageRefs([]byte(in))); got != in {
			t.Errorf("changed %s to %s", in, got)
		}
	}
}
