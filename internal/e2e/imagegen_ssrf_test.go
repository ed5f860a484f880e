package e2e

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"qwenproxy/internal/qwensim"
)

// An image URL Qwen's answer names is fetched for b64_json, and the bytes
// go to the client: an upstream (or whatever answers as it) that names an
// address of the proxy's own network — a cloud's metadata service, a
// database's HTTP port, the proxy's own /metrics — had the proxy read it
// and hand it over. Only Qwen's own host (QWEN_BASE_URL's, the simulator's)
// and public addresses are fetched; the generation fails, saying why.
func TestAGeneratedImageIsNotFetchedFromAPrivateAddress(t *testing.T) {
	var asked atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		io.WriteString(w, "INTERNAL-CREDENTIAL-0042")
	}))
	defer internal.Close()
	e := start(t, nil)
	// localhost, not the simulator's 127.0.0.1: another host.
	target := strings.Replace(internal.URL, "127.0.0.1", "localhost", 1) + "/latest/meta-data/iam"
	e.sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointCompletions, FrameAfter: 1,
		Frame: `{"choices":[{"delta":{"role":"assistant","content":"` + target + `","phase":"image_gen","status":"finished"}}]}`})
	resp := postJSON(t, e, "/v1/images/generations", `{"model":"qwen3-max","prompt":"a fox","response_format":"b64_json"}`, nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	leaked := base64.StdEncoding.EncodeToString([]byte("INTERNAL-CREDENTIAL-0042"))
	if strings.Contains(string(body), leaked) || asked.Load() != 0 {
		t.Fatalf("the proxy fetched %s for the client (%d requests): %d %s", target, asked.Load(), resp.StatusCode, body)
	}
	if resp.StatusCode == http.StatusOK || !strings.Contains(string(body), "not public") {
		t.Fatalf("the refusal does not say why: %d %s", resp.StatusCode, body)
	}
	// The simulator's own images (at QWEN_BASE_URL's host) are still fetched.
	resp = postJSON(t, e, "/v1/images/generations", `{"model":"qwen3-max","prompt":"a fox","response_format":"b64_json"}`, nil)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"b64_json"`) {
		t.Fatalf("the simulator's image is not fetched: %d %s", resp.StatusCode, body)
	}
}
