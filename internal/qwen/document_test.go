package qwen_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// A document goes as the web client's: a token for filetype "file", the
// bytes to the store, a parse and its status, and an entry of type "file",
// file_class "document" whose file_type is the document's MIME type.
func TestUploadDocumentParsesItAndReturnsTheWebClientsEntry(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	c := qwen.New(qwen.Config{BaseURL: sim.URL, Credentials: qwen.StaticCredentials{Cookies: qwensim.LoginCookie()}, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	f, attempts, err := c.UploadDocument(ctx, "chat-1", "report.pdf", "application/pdf", pdf)
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != "file" || f.FileClass != "document" || f.ShowType != "file" || f.FileType != "application/pdf" || f.Context != "full" ||
		f.File.Meta.ParseMeta == nil || f.File.Meta.ParseMeta.ParseStatus != "success" || f.Size != int64(len(pdf)) || f.File.UserID != "user-sim" {
		t.Fatalf("entry %+v", f)
	}
	if attempts.N != 4 || len(attempts.Failures) != 0 {
		t.Fatalf("attempts %+v: want token, put, parse, status", attempts)
	}
	var filetype string
	for _, call := range sim.Calls() {
		if call.Endpoint == qwensim.EndpointUpload {
			var req struct{ Filetype string }
			_ = json.Unmarshal(call.Body, &req)
			filetype = req.Filetype
		}
	}
	if filetype != "file" {
		t.Fatalf("getstsToken filetype %q, want file", filetype)
	}
}

// A document Qwen cannot parse (a PDF that is none) fails the upload as a
// bad request, not as an entry the chat would refuse later.
func TestUploadDocumentReportsAFailedParse(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	c := qwen.New(qwen.Config{BaseURL: sim.URL, Credentials: qwen.StaticCredentials{Cookies: qwensim.LoginCookie()}, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, _, err = c.UploadDocument(ctx, "chat-1", "fake.pdf", "application/pdf", []byte("not a pdf"))
	if qe, ok := qwen.AsError(err); !ok || qe.Kind != qwen.KindBadRequest {
		t.Fatalf("err %v, want a bad request", err)
	}
}

// A parse Qwen is still working on ("pending") is polled again until it
// is done: the document is attached, not refused.
func TestUploadDocumentWaitsForAPendingParse(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{PendingParses: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	c := qwen.New(qwen.Config{BaseURL: sim.URL, Credentials: qwen.StaticCredentials{Cookies: qwensim.LoginCookie()}, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, _, err := c.UploadDocument(ctx, "chat-1", "notes.txt", "text/plain", []byte("hello"))
	if err != nil || f.FileClass != "document" {
		t.Fatalf("%v %+v", err, f)
	}
	polls := 0
	for _, call := range sim.Calls() {
		if call.Endpoint == qwensim.EndpointParseStatus {
			polls++
		}
	}
	if polls != 2 {
		t.Fatalf("%d status polls, want 2 (pending, then success)", polls)
	}
}
