package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// A gzip-compressed body was read as JSON and refused with "malformed JSON
// at byte 1: invalid character '\x1f'", which does not say why. It is now a
// 415 that names the encoding; the proxy never decompresses a body (a few
// kilobytes could expand past every limit). identity is no encoding.
func TestACompressedBodyIsRefusedAsSuch(t *testing.T) {
	s := New(Config{}, Deps{})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`))
	zw.Close()
	for _, tc := range []struct {
		encoding string
		body     []byte
		code     string
	}{
		{"gzip", gz.Bytes(), "unsupported_content_encoding"},
		{"br", gz.Bytes(), "unsupported_content_encoding"},
		{"identity", []byte(`{"model":"qwen3-max"}`), ""},
		{"", []byte(`{"model":"qwen3-max"}`), ""},
	} {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		if tc.encoding != "" {
			req.Header.Set("Content-Encoding", tc.encoding)
		}
		_, apiErr := s.readJSON(httptest.NewRecorder(), req)
		switch {
		case tc.code == "" && apiErr != nil:
			t.Errorf("Content-Encoding %q: refused: %v", tc.encoding, apiErr.Message)
		case tc.code != "" && (apiErr == nil || apiErr.Code != tc.code || apiErr.Status != http.StatusUnsupportedMediaType):
			t.Errorf("Content-Encoding %q: %+v, want 415 %s", tc.encoding, apiErr, tc.code)
		}
	}
}

// A client that declares a large Content-Length and sends a byte made the
// server allocate the whole declared size at once and hold it while the body
// trickled in (300 connections sending 300 bytes held 3 GB). The buffer now
// grows as bytes arrive; bodies of every size are still read whole.
func TestABodyIsNotAllocatedBeforeItArrives(t *testing.T) {
	s := New(Config{}, Deps{})
	declared := int64(10 << 20)
	read := func() {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", io.MultiReader(strings.NewReader("{"), failingReader{}))
		req.ContentLength = declared
		if _, apiErr := s.readJSON(httptest.NewRecorder(), req); apiErr == nil || apiErr.Code != "invalid_body" {
			t.Fatalf("a body cut after a byte: %+v", apiErr)
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	read()
	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Fatalf("one byte of a body that declared %d bytes allocated %d bytes", declared, allocated)
	}

	for _, size := range []int{0, 1, firstBodyBuffer - 1, firstBodyBuffer, firstBodyBuffer + 1, 3 << 20} {
		for _, declare := range []bool{true, false} {
			want := bytes.Repeat([]byte("a"), size)
			req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(want))
			req.ContentLength = -1
			if declare {
				req.ContentLength = int64(size)
			}
			got, apiErr := s.readJSON(httptest.NewRecorder(), req)
			if apiErr != nil || !bytes.Equal(got, want) {
				t.Fatalf("%d bytes (declared %v): read %d, %v", size, declare, len(got), apiErr)
			}
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
