package e2e

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// An image whose upload Qwen refuses, or whose upload endpoint is not
// there, is told as the upload's failure: the client was told "Qwen does
// not know this chat or message" (upload token endpoints answering 404) or
// "Qwen refused the request" (an upload token refused), as if the chat or
// the question were at fault.
func TestAFailedImageUploadSaysItWasTheUpload(t *testing.T) {
	body := `{"model":"qwen3-vl-plus","messages":[{"role":"user","content":[{"type":"text","text":"look"},` +
		`{"type":"image_url","image_url":{"url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(testPNG(t)) + `"}}]}]}`
	for _, c := range []struct {
		fault      qwensim.Fault
		code, says string
	}{
		{qwensim.Fault{Endpoint: qwensim.EndpointUpload, Status: http.StatusNotFound, Times: 2}, "upstream_not_found", "image upload"},
		{qwensim.Fault{Endpoint: qwensim.EndpointUpload, Status: http.StatusBadRequest}, "upstream_bad_request", "upload of image image-"},
	} {
		e := start(t, nil)
		e.sim.Inject(c.fault)
		resp := postJSON(t, e, "/v1/chat/completions", body, nil)
		got := readBody(t, resp)
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(got, `"code":"`+c.code+`"`) || !strings.Contains(got, c.says) || strings.Contains(got, "this chat") {
			t.Errorf("upload answering %d: want a 502 %s saying %q, got %d %s", c.fault.Status, c.code, c.says, resp.StatusCode, got)
		}
	}
}
