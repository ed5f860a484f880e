package qwen_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// The upload goes as the web client's: a token from Qwen, then the bytes to
// the object store it names, signed by the OSS SDK with the token's
// credentials (the simulator refuses an unsigned or mis-signed put), and the
// file entry names what the store keeps.
func TestUploadPutsTheImageWhereQwensTokenSays(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	c := qwen.New(qwen.Config{BaseURL: sim.URL, Credentials: qwen.StaticCredentials{Cookies: qwensim.LoginCookie()}, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	png := []byte("\x89PNG\r\n\x1a\nnot really a picture")
	f, attempts, err := c.Upload(ctx, "chat-1", "cat.png", "image/png", png)
	if err != nil {
		t.Fatal(err)
	}
	if attempts.N != 2 || len(attempts.Failures) != 0 || sim.Uploads() != 1 || f.Type != "image" || f.FileClass != "vision" || f.Size != int64(len(png)) || f.ID == "" || f.File.Meta.ContentType != "image/png" {
		t.Fatalf("attempts %d, uploads %d, file %+v", attempts.N, sim.Uploads(), f)
	}
	resp, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); string(b) != string(png) || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("stored %q (%s)", b, resp.Header.Get("Content-Type"))
	}
	for _, call := range sim.Calls() {
		if call.Endpoint == qwensim.EndpointUpload && (call.Header.Get("Referer") == "" || call.Header.Get("x-request-id") == "") {
			t.Fatalf("the token request lacks the web client's headers: %v", call.Header)
		}
	}
}
