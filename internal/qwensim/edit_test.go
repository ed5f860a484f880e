package qwensim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// uploadForTest stores data in the simulated store as the proxy's upload
// does (an upload token, then a signed put) and returns the message.files
// entry naming it.
func uploadForTest(t *testing.T, srv *Server, name, data string) string {
	t.Helper()
	_, _, body := webCall(t, srv, "/api/v2/files/getstsToken", `{"filename":"`+name+`","filesize":"`+itoa(len(data))+`","filetype":"image"}`, nil)
	var tok struct {
		Data struct {
			KeyID    string `json:"access_key_id"`
			Security string `json:"security_token"`
			Path     string `json:"file_path"`
			Bucket   string `json:"bucketname"`
			FileID   string `json:"file_id"`
			FileURL  string `json:"file_url"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/"+tok.Data.Bucket+"/"+tok.Data.Path, strings.NewReader(data))
	req.Header.Set("Authorization", "OSS4-HMAC-SHA256 Credential="+tok.Data.KeyID+"/20261130/ap-southeast-1/oss/aliyun_v4_request,Signature=x")
	req.Header.Set("x-oss-security-token", tok.Data.Security)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("put: %d", resp.StatusCode)
	}
	f, _ := json.Marshal(messageFile{Type: "image", FileClass: "vision", ID: tok.Data.FileID, URL: tok.Data.FileURL, Name: name})
	return string(f)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// An image_edit completion is answered as a t2i one (an image_gen phase
// with the URL of a PNG the simulator made), from the message's images;
// one without an image is refused.
func TestImageEditAnswersWithAnImageAndNeedsOne(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	edit := func(files string) string {
		chatID := newChat2026(t, srv, nil, "normal")
		body := strings.Replace(completion(chatID, "normal", "qwen3-max", false, "make it blue"), `"feature_config":{`,
			`"chat_type":"image_edit","files":[`+files+`],"feature_config":{"output_schema":"phase",`, 1)
		_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
		return b
	}
	b := edit(uploadForTest(t, srv, "cat.png", "\x89PNG fake"))
	if !strings.Contains(b, `"phase": "image_gen"`) || !strings.Contains(b, "/generated/") {
		t.Fatalf("no edited image: %.800s", b)
	}
	if b := edit(""); !strings.Contains(b, CodeBadRequest) || strings.Contains(b, "image_gen") {
		t.Fatalf("an edit without an image was answered: %.800s", b)
	}
}
