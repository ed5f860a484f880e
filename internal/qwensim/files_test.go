package qwensim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The simulated store takes an object only as OSS would from the token's
// holder: signed (V4) with its key, with its security token, of the size
// declared; and a completion may attach only what was stored.
func TestTheStoreTakesOnlySignedPutsOfTheDeclaredSize(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	status, _, body := webCall(t, srv, "/api/v2/files/getstsToken", `{"filename":"a.png","filesize":"3","filetype":"image"}`, nil)
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
	if err := json.Unmarshal([]byte(body), &tok); status != 200 || err != nil || tok.Data.KeyID == "" {
		t.Fatalf("%d %s", status, body)
	}
	put := func(data, auth, security string) (int, string) {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/"+tok.Data.Bucket+"/"+tok.Data.Path, strings.NewReader(data))
		req.Header.Set("Authorization", auth)
		req.Header.Set("x-oss-security-token", security)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp.StatusCode, b.String()
	}
	signed := "OSS4-HMAC-SHA256 Credential=" + tok.Data.KeyID + "/20261130/ap-southeast-1/oss/aliyun_v4_request,Signature=x"
	for _, c := range []struct{ data, auth, security, code string }{
		{"abc", "", tok.Data.Security, "SignatureDoesNotMatch"},
		{"abc", "OSS4-HMAC-SHA256 Credential=other/20261130/ap-southeast-1/oss/aliyun_v4_request,Signature=x", tok.Data.Security, "SignatureDoesNotMatch"},
		{"abc", signed, "wrong", "InvalidSecurityToken"},
		{"abcd", signed, tok.Data.Security, "InvalidArgument"},
	} {
		if status, body := put(c.data, c.auth, c.security); status < 400 || !strings.Contains(body, c.code) {
			t.Errorf("%+v: %d %s", c, status, body)
		}
	}
	if srv.Uploads() != 0 {
		t.Fatal("a refused put was stored")
	}
	if status, body := put("abc", signed, tok.Data.Security); status != 200 || srv.Uploads() != 1 {
		t.Fatalf("%d %s", status, body)
	}
	if _, _, code, _ := srv.seeFiles([]messageFile{{Type: "image", FileClass: "vision", ID: "other", URL: tok.Data.FileURL}}); code == "" {
		t.Fatal("a file that was not uploaded was attached")
	}
	if seen, _, code, _ := srv.seeFiles([]messageFile{{Type: "image", FileClass: "vision", ID: tok.Data.FileID, URL: tok.Data.FileURL, Name: "a.png"}}); code != "" || !strings.Contains(seen, "a.png (3 bytes") {
		t.Fatalf("%q %q", seen, code)
	}
}
