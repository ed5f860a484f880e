package qwensim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// uploadDocument uploads text as a plain-text document and parses it, as
// the web client does, and returns the message's entry naming it.
func uploadDocument(t *testing.T, srv *Server, name, text string) messageFile {
	t.Helper()
	status, _, body := webCall(t, srv, "/api/v2/files/getstsToken",
		`{"filename":"`+name+`","filesize":"`+strconv.Itoa(len(text))+`","filetype":"file"}`, nil)
	var tok struct {
		Data struct {
			KeyID    string `json:"access_key_id"`
			Security string `json:"security_token"`
			Path     string `json:"file_path"`
			FileID   string `json:"file_id"`
			FileURL  string `json:"file_url"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &tok); status != 200 || err != nil {
		t.Fatalf("upload token: %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/"+Bucket+"/"+tok.Data.Path, strings.NewReader(text))
	req.Header.Set("Authorization", "OSS4-HMAC-SHA256 Credential="+tok.Data.KeyID+"/20261130/ap-southeast-1/oss/aliyun_v4_request,Signature=x")
	req.Header.Set("x-oss-security-token", tok.Data.Security)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("put: %v %v", err, resp)
	}
	resp.Body.Close()
	if status, _, body := webCall(t, srv, "/api/v2/files/parse", `{"file_id":"`+tok.Data.FileID+`"}`, nil); status != 200 {
		t.Fatalf("parse: %d %s", status, body)
	}
	return messageFile{Type: "file", FileClass: "document", ShowType: "file", FileType: "text/plain", ID: tok.Data.FileID, URL: tok.Data.FileURL, Name: name}
}

// The model reads an attached document with its message, and its usage
// counts what it reads: a turn whose text came as a document (the proxy's
// Large prompts, a PDF a client sent) has the document's tokens in its
// input_tokens, and so does every later turn on that thread. Until
// 2026-12-07 the document was read but not counted: a 500 KB prompt
// an agent sent was recorded as a few thousand prompt tokens, its inline
// notice's.
func TestADocumentsWordsCountAsInputTokens(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	send := func(chatID, parent, content string, files ...messageFile) turnSeen {
		t.Helper()
		body := completion(chatID, "normal", "qwen3-max", false, content)
		if len(files) > 0 {
			b, _ := json.Marshal(files)
			body = strings.Replace(body, `"parent_id":null,"feature_config"`, `"parent_id":null,"files":`+string(b)+`,"feature_config"`, 1)
		}
		if parent != "" {
			body = strings.ReplaceAll(body, `"parent_id":null`, `"parent_id":"`+parent+`"`)
		}
		status, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
		if status != 200 {
			t.Fatalf("completion: %d %s", status, b)
		}
		return readTurn(t, b)
	}
	const question, next = "what does the document say", "and then"
	alone := func(content string) int { return send(newChat2026(t, srv, nil, "normal"), "", content).input }
	text := strings.Repeat("the tide rises and the tide falls ", 300) // 2,100 words
	words := len(strings.Fields(text))

	chatID := newChat2026(t, srv, nil, "normal")
	first := send(chatID, "", question, uploadDocument(t, srv, "notes.txt", text))
	if want := alone(question) + words; first.input != want {
		t.Fatalf("a message with a document of %d words: input_tokens %d, want %d (the message %d + the document)", words, first.input, want, alone(question))
	}
	second := send(chatID, first.answerID, next)
	if want := first.input + (first.output - first.reasoning) + alone(next); second.input != want {
		t.Errorf("the next turn on its thread: input_tokens %d, want %d (the first turn %d, its answer, this message)", second.input, want, first.input)
	}
}
