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

// A file is its account's, as a chat is: an upload token asked for, a parse
// started or polled with an account's expired token gets the 401 a chat's
// call gets, and another account's document is not found. (They were served
// to any token, so the proxy's fresh sign-in after an upload's 401 was never
// exercised.)
func TestFilesAreTheirAccountsAndRefuseAnExpiredToken(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tokens := map[string]string{}
	for _, email := range []string{"a@x.io", "b@x.io"} {
		srv.AddAccount(email, "right")
		tokens[email] = signedIn(t, srv, email, "right")
	}
	as := func(email string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Cookie", "token="+tokens[email]) }
	}
	// a@x.io uploads a document and has it parsed.
	_, _, body := webCall(t, srv, "/api/v2/files/getstsToken", `{"filename":"a.txt","filesize":"3","filetype":"file"}`, as("a@x.io"))
	var tok struct {
		Data struct {
			KeyID    string `json:"access_key_id"`
			Security string `json:"security_token"`
			Path     string `json:"file_path"`
			FileID   string `json:"file_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.Data.KeyID == "" {
		t.Fatalf("upload token: %s", body)
	}
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/"+Bucket+"/"+tok.Data.Path, strings.NewReader("abc"))
	req.Header.Set("Authorization", "OSS4-HMAC-SHA256 Credential="+tok.Data.KeyID+"/20261130/ap-southeast-1/oss/aliyun_v4_request,Signature=x")
	req.Header.Set("x-oss-security-token", tok.Data.Security)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("put: %v %v", resp, err)
	}
	resp.Body.Close()
	parse := `{"file_id":"` + tok.Data.FileID + `"}`
	status := `{"file_id_list":["` + tok.Data.FileID + `"]}`
	if st, _, b := webCall(t, srv, "/api/v2/files/parse", parse, as("b@x.io")); !strings.Contains(b, "Bad_Request") {
		t.Fatalf("another account's document parsed: %d %s", st, b)
	}
	if st, _, b := webCall(t, srv, "/api/v2/files/parse", parse, as("a@x.io")); st != 200 || !strings.Contains(b, `"success":true`) {
		t.Fatalf("its own document: %d %s", st, b)
	}
	if _, _, b := webCall(t, srv, "/api/v2/files/parse/status", status, as("b@x.io")); !strings.Contains(b, `"pending"`) {
		t.Fatalf("another account's parse told: %s", b)
	}
	if _, _, b := webCall(t, srv, "/api/v2/files/parse/status", status, as("a@x.io")); !strings.Contains(b, `"success"`) {
		t.Fatalf("its own parse: %s", b)
	}
	srv.ExpireTokens("a@x.io")
	for path, body := range map[string]string{
		"/api/v2/files/getstsToken":  `{"filename":"a.png","filesize":"3","filetype":"image"}`,
		"/api/v2/files/parse":        parse,
		"/api/v2/files/parse/status": status,
	} {
		if st, _, b := webCall(t, srv, path, body, as("a@x.io")); st != http.StatusUnauthorized || !strings.Contains(b, "Token has expired") {
			t.Errorf("%s with an expired token: %d %s", path, st, b)
		}
	}
}
