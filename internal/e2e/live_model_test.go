package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/qwensim"
)

// A call in progress names, besides the model its client asked for, the
// Qwen model it is sent as (response_model), which is the model its record
// names once it ends: the Live view shows that one, so a row no longer
// changes its model from gpt-4o to qwen3-max as the call ends. Image
// generations said no model at all while they ran.
func TestActiveCallsNameTheModelTheirRecordWill(t *testing.T) {
	e := start(t, nil)
	for _, c := range []struct{ path, body, asked, sentAs string }{
		{"/v1/chat/completions", `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"mapped"}]}`, "gpt-4o", "qwen3-max"},
		{"/v1/chat/completions", `{"model":"qwq-32b-thinking-search","messages":[{"role":"user","content":"a variant"}]}`, "qwq-32b-thinking-search", "qwq-32b"},
		{"/v1/images/generations", `{"model":"dall-e-3","prompt":"a fox"}`, "dall-e-3", "qwen3-max"},
	} {
		// The call waits in Qwen's completion until its client leaves: it
		// is in progress, for certain, while the list is read.
		reached := make(chan struct{}, 1)
		e.sim.Inject(qwensim.Fault{Delay: time.Minute, Reached: reached})
		ctx, cancel := context.WithCancel(ctxT(t))
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.app.URL()+c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		done := make(chan struct{})
		go func() {
			defer close(done)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		select {
		case <-reached:
		case <-ctx.Done():
			t.Fatalf("%s: the call never reached Qwen's completion", c.asked)
		}
		_, v := getJSON(t, e, http.MethodGet, "/v1/requests/active")
		data, _ := v["data"].([]any)
		if len(data) != 1 {
			cancel()
			t.Fatalf("%s: active %v", c.asked, v)
		}
		running := data[0].(map[string]any)
		cancel()
		<-done
		e.sync()
		if running["model"] != c.asked || running["response_model"] != c.sentAs {
			t.Errorf("%s in progress: model %v, response_model %v; want %s sent as %s", c.path, running["model"], running["response_model"], c.asked, c.sentAs)
		}
		var recorded any
		for _, r := range list(t, e, "/v1/responses?count=false") {
			if r["request_uuid"] == running["request_id"] {
				recorded = r["model"]
			}
		}
		if recorded != running["response_model"] {
			t.Errorf("%s: in progress sent as %v, its record's response names %v", c.asked, running["response_model"], recorded)
		}
	}
}
