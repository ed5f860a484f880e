package qwen_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// An upload token's endpoint given with a scheme is the simulator's form
// (http on its loopback address, path-style): on any other host only https
// is taken, so that an image, and the token's signature, never cross the
// network in clear. An http endpoint on another host was put to as named.
// (Every dial here goes to the test's own server on 127.0.0.1, whatever
// host the URL names.)
func TestUploadTokenEndpointIsHTTPSBeyondLoopback(t *testing.T) {
	var puts atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			puts.Add(1)
			return
		}
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "data": map[string]string{
			"access_key_id": "STS.k", "access_key_secret": "s", "security_token": "t", "bucketname": "qwen-bucket",
			"region": "oss-ap-southeast-1", "endpoint": "http://oss-ap-southeast-1.aliyuncs.com:" + port,
			"file_id": "f1", "file_path": "user/f1_cat.png", "file_url": "https://b.oss-ap-southeast-1.aliyuncs.com/user/f1_cat.png",
		}})
	}))
	defer srv.Close()
	transport := qwen.NewTransport()
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	c := qwen.New(qwen.Config{BaseURL: srv.URL, Credentials: qwen.StaticCredentials{Cookies: qwensim.LoginCookie()},
		Timeout: 5 * time.Second, HTTPClient: &http.Client{Transport: transport}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := c.Upload(ctx, "chat-1", "cat.png", "image/png", []byte("\x89PNG\r\n\x1a\nnot really a picture"))
	if err == nil || puts.Load() != 0 || !strings.Contains(err.Error(), "https") {
		t.Fatalf("upload to an http endpoint beyond loopback: err %v, %d puts", err, puts.Load())
	}
}
