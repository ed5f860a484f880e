package server

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
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
