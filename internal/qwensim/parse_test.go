package qwensim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A document is attached only as the web client attaches it: uploaded as
// filetype "file", parsed, and named by an entry of type "file",
// showType "file", file_class "document" and its MIME type; the model
// then reads it.
func TestADocumentMustBeParsedAndAttachedAsTheWebClientDoes(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	status, _, body := webCall(t, srv, "/api/v2/files/getstsToken", `{"filename":"notes.txt","filesize":"5","filetype":"file"}`, nil)
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
		t.Fatalf("%d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/"+Bucket+"/"+tok.Data.Path, strings.NewReader("hello"))
	req.Header.Set("Authorization", "OSS4-HMAC-SHA256 Credential="+tok.Data.KeyID+"/20261130/ap-southeast-1/oss/aliyun_v4_request,Signature=x")
	req.Header.Set("x-oss-security-token", tok.Data.Security)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("put: %v %v", err, resp)
	}
	resp.Body.Close()
	entry := messageFile{Type: "file", FileClass: "document", ShowType: "file", FileType: "text/plain", ID: tok.Data.FileID, URL: tok.Data.FileURL, Name: "notes.txt"}
	if _, _, code, details := srv.seeFiles([]messageFile{entry}); code != CodeBadRequest || !strings.Contains(details, "not been parsed") {
		t.Fatalf("an unparsed document was attached: %q %q", code, details)
	}
	if status, _, body := webCall(t, srv, "/api/v2/files/parse", `{"file_id":"`+tok.Data.FileID+`"}`, nil); status != 200 {
		t.Fatalf("parse: %d %s", status, body)
	}
	status, _, body = webCall(t, srv, "/api/v2/files/parse/status", `{"file_id_list":["`+tok.Data.FileID+`"]}`, nil)
	if status != 200 || !strings.Contains(body, `"status":"success"`) {
		t.Fatalf("status: %d %s", status, body)
	}
	for _, bad := range []messageFile{
		{Type: "file", FileClass: "vision", ShowType: "file", FileType: "text/plain", ID: entry.ID, URL: entry.URL},
		{Type: "file", FileClass: "document", ShowType: "image", FileType: "text/plain", ID: entry.ID, URL: entry.URL},
		{Type: "file", FileClass: "document", ShowType: "file", FileType: "application/pdf", ID: entry.ID, URL: entry.URL},
		{Type: "image", FileClass: "vision", ID: entry.ID, URL: entry.URL},
	} {
		if _, _, code, _ := srv.seeFiles([]messageFile{bad}); code != CodeBadRequest {
			t.Errorf("a malformed entry was taken: %+v", bad)
		}
	}
	seen, texts, code, _ := srv.seeFiles([]messageFile{entry})
	if code != "" || !strings.Contains(seen, "I read 1 document: notes.txt (5 bytes, text/plain)") || len(texts) != 1 || texts[0] != "hello" {
		t.Fatalf("%q %q %q", seen, texts, code)
	}
}
