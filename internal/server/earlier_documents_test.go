package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// A document the record holds only a reference of cannot be sent again
// into a new chat: it becomes a text part saying so, and the rest of the
// conversation is told (a reference read as a document was a 400 that
// threw the conversation away). One kept whole (a data: URL) stays.
func TestAnEarlierDocumentNotKeptIsToldAsText(t *testing.T) {
	items := []json.RawMessage{
		json.RawMessage(`{"role":"user","content":[{"type":"input_text","text":"read"},{"type":"input_file","filename":"r.pdf","file_data":"[document application/pdf, 9 bytes, sha256:ab]"}]}`),
		json.RawMessage(`{"role":"user","content":[{"type":"input_file","filename":"k.pdf","file_data":"data:application/pdf;base64,JVBERi0="}]}`),
	}
	out := imagesNotKept(items)
	if !strings.Contains(string(out[0]), `"[document application/pdf, 9 bytes, sha256:ab: not kept by the proxy, so not attached again]"`) || strings.Contains(string(out[0]), "input_file") {
		t.Fatalf("not kept: %s", out[0])
	}
	if string(out[1]) != string(items[1]) {
		t.Fatalf("kept: %s", out[1])
	}
}

// A document by URL that the record holds whole is sent again (fetched
// again) into a new chat, as an image URL is; one whose URL had its
// credentials masked is told as text. A file_url was taken for a reference
// not kept, as it has no file_data.
func TestAnEarlierDocumentByURLIsKeptWhenItsURLIs(t *testing.T) {
	items := []json.RawMessage{
		json.RawMessage(`{"role":"user","content":[{"type":"input_file","file_url":"https://docs.example/r.pdf"}]}`),
		json.RawMessage(`{"role":"user","content":[{"type":"input_file","file_url":"https://docs.example/s.pdf?X-Amz-Signature=[REDACTED]"}]}`),
	}
	out := imagesNotKept(items)
	if string(out[0]) != string(items[0]) {
		t.Fatalf("kept: %s", out[0])
	}
	if !strings.Contains(string(out[1]), `"[document: not kept by the proxy, so not attached again]"`) {
		t.Fatalf("masked: %s", out[1])
	}
}
