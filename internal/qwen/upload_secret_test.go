package qwen_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// An upload token Qwen answers that cannot be used (a field renamed, the
// body cut off) fails the upload without its temporary credentials in the
// error: the error's text reaches the client, the log and the record.
func TestAnUnusableUploadTokenKeepsItsCredentialsOutOfTheError(t *testing.T) {
	const secret, security = "Sk3cr3tAccessKeySecretValue", "CAISsecurityTokenValue0123"
	answers := map[string]string{
		"a field renamed": `{"success":true,"data":{"access_key_id":"STS.id","access_key_secret":"` + secret +
			`","security_token":"` + security + `","bucketname":"b","region":"oss-ap-southeast-1","endpoint":"oss.example",` +
			`"file_id":"f","file_path":"p","fileUrl":"https://oss.example/p"}}`,
		"cut off": `{"success":true,"data":{"access_key_id":"STS.id","access_key_secret":"` + secret +
			`","security_token":"` + security + `","bucketname":"b`,
		"not a success": `{"success":false,"data":{"access_key_id":"STS.id","access_key_secret":"` + secret +
			`","security_token":"` + security + `"}}`,
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(answer))
			}))
			defer srv.Close()
			c := qwen.New(qwen.Config{BaseURL: srv.URL, Credentials: qwen.StaticCredentials{Cookies: qwensim.LoginCookie()}, Timeout: 10 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, _, err := c.Upload(ctx, "chat-1", "cat.png", "image/png", []byte("png"))
			if err == nil {
				t.Fatal("an unusable upload token was taken")
			}
			if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, security) {
				t.Fatalf("the error shows the token's credentials: %s", msg)
			}
		})
	}
}

// An upload token Qwen answers without its bucket is refused with the
// answer's head for the log — which held the token's signing key and
// security token, then shown to the client, logged and recorded.
func TestAnIncompleteUploadTokenIsReportedWithoutItsKeys(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"success":true,"data":{"access_key_id":"STS.id","access_key_secret":"oss-signing-SECRET","security_token":"sts-session-SECRET","file_path":"u/f.png","file_id":"f","file_url":"http://x/f.png"}}`))
	}))
	defer srv.Close()
	c := qwen.New(qwen.Config{BaseURL: srv.URL, Credentials: qwen.StaticCredentials{Cookies: qwensim.LoginCookie()}, Timeout: 10 * time.Second, MaxRetries: 0})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, _, err := c.Upload(ctx, "chat-1", "cat.png", "image/png", []byte("png"))
	if err == nil || !strings.Contains(err.Error(), "lacks") {
		t.Fatalf("an incomplete token was taken: %v", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("the error carries the token's keys: %v", err)
	}
}
