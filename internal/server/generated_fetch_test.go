package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A generated image at QWEN_BASE_URL's host is fetched as Qwen is called;
// a redirect from there to an address of the proxy's network (another
// port of this machine, a metadata service) is not followed, nor is a URL
// on another port of Qwen's host name (on a loopback upstream, another
// local service): the bytes go to the client.
func TestAGeneratedImageAtQwensHostIsNotRedirectedInward(t *testing.T) {
	var asked atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		io.WriteString(w, "INTERNAL")
	}))
	defer internal.Close()
	inward := strings.Replace(internal.URL, "127.0.0.1", "localhost", 1) + "/secret"
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/image.png" {
			io.WriteString(w, "\x89PNG")
			return
		}
		http.Redirect(w, r, inward, http.StatusFound)
	}))
	defer upstream.Close()
	s := &Server{cfg: Config{UpstreamURL: upstream.URL, Capabilities: CapabilitiesConfig{ImageFetchTimeout: 5 * time.Second, ImageMaxBytes: 1 << 20}}}
	ctx := context.Background()
	if data, err := s.fetchGenerated(ctx, upstream.URL+"/image.png"); err != nil || string(data) != "\x89PNG" {
		t.Fatalf("Qwen's own image: %q, %v", data, err)
	}
	for _, url := range []string{upstream.URL + "/redirect", internal.URL + "/secret"} {
		data, err := s.fetchGenerated(ctx, url)
		if err == nil || !strings.Contains(err.Error(), "not public") {
			t.Errorf("%s: %q, %v; want a refusal saying the address is not public", url, data, err)
		}
	}
	if n := asked.Load(); n != 0 {
		t.Fatalf("the internal address was asked %d times", n)
	}
}
