package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"qwenproxy/internal/auth"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/sqlite"
)

// addLimitedKey stores a key allowed max calls in flight, as `qwenproxy
// keys add --max-concurrent` does, and returns the key and its id.
func addLimitedKey(t *testing.T, path string, max int) (string, string) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, stored := auth.NewKey("agent", false, time.Now())
	stored.MaxConcurrent = max
	if err := st.AddAPIKey(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	return key, stored.ID
}

// A key allowed two calls in flight has a third answered at once with a 429
// and Retry-After, in the envelope of the API it spoke, recorded and counted;
// another key is not held by it; and the places are given back whether the
// calls end well, fail, or their clients leave.
func TestAKeysCallsInFlightAreLimited(t *testing.T) {
	e := start(t, func(c *config.Config) { c.QwenTimeout = time.Minute })
	e.stop()
	limited, limitedID := addLimitedKey(t, e.cfg.DatabasePath, 2)
	free := addKey(t, e.cfg.DatabasePath)
	e.boot()

	var n atomic.Int32 // calls are made from several goroutines
	chat := func(ctx context.Context, key string) (*http.Response, error) {
		// Each its own conversation: a session's turns wait for each other.
		body := fmt.Sprintf(`{"model":"qwen3-max","messages":[{"role":"user","content":"hold %d"}]}`, n.Add(1))
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.app.URL()+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		return http.DefaultClient.Do(req)
	}
	// hold starts two calls of the limited key that Qwen answers only when
	// their clients leave; it returns once Qwen has both, and a function
	// that makes their clients leave and waits for the calls to end.
	hold := func() (leave func()) {
		t.Helper()
		reached := make(chan struct{}, 2)
		e.sim.Inject(qwensim.Fault{Delay: time.Minute, Times: 2, Reached: reached})
		ctx, cancel := context.WithCancel(ctxT(t))
		refused := make(chan string, 2)
		for range 2 {
			go func() {
				resp, err := chat(ctx, limited)
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					refused <- fmt.Sprintf("%d %s", resp.StatusCode, b)
				}
			}()
		}
		for range 2 {
			select {
			case <-reached:
			case r := <-refused:
				cancel()
				t.Fatalf("a call within the limit was answered: %s", r)
			}
		}
		return func() { cancel(); e.sync() }
	}
	refusedNow := func(path, body string, header map[string]string) (*http.Response, []byte) {
		t.Helper()
		resp := send(t, e, http.MethodPost, path, "application/json", body, header)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || resp.Header.Get("X-Request-Id") == "" {
			t.Fatalf("%s over the limit: %d %v %s", path, resp.StatusCode, resp.Header, b)
		}
		return resp, b
	}

	leave := hold()
	// Chat Completions: OpenAI's envelope.
	_, b := refusedNow("/v1/chat/completions", `{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"a third"}]}`,
		map[string]string{"Authorization": "Bearer " + limited})
	var oai envelope
	if json.Unmarshal(b, &oai) != nil || oai.Error.Type != "rate_limit_error" || oai.Error.Code == nil || *oai.Error.Code != "key_concurrency_limit" ||
		!strings.Contains(oai.Error.Message, "2 calls in flight") {
		t.Fatalf("chat completions' 429: %s", b)
	}
	// Messages: Anthropic's.
	_, b = refusedNow("/v1/messages", `{"model":"qwen3-max","max_tokens":10,"messages":[{"role":"user","content":"a third"}]}`,
		map[string]string{"X-Api-Key": limited, "Anthropic-Version": "2023-06-01"})
	var ant struct {
		Type  string
		Error struct{ Type, Message string }
	}
	if json.Unmarshal(b, &ant) != nil || ant.Type != "error" || ant.Error.Type != "rate_limit_error" || ant.Error.Message == "" {
		t.Fatalf("messages' 429: %s", b)
	}
	// Responses, legacy completions and images: OpenAI's.
	for path, body := range map[string]string{"/v1/responses": `{"model":"qwen3-max","input":"a third"}`,
		"/v1/completions": `{"model":"qwen3-max","prompt":"a third"}`, "/v1/images/generations": `{"model":"qwen3-max","prompt":"a fox"}`} {
		_, b = refusedNow(path, body, map[string]string{"Authorization": "Bearer " + limited})
		if json.Unmarshal(b, &oai) != nil || oai.Error.Type != "rate_limit_error" {
			t.Fatalf("%s's 429: %s", path, b)
		}
	}
	// Another key is not held by this one's limit.
	resp, err := chat(ctxT(t), free)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("another key: %d", resp.StatusCode)
	}
	metrics := scrape(t, e)
	for _, want := range []string{`qwenproxy_key_concurrency_refused_total{route="/v1/chat/completions"} 1`,
		`qwenproxy_key_concurrency_refused_total{route="/v1/messages"} 1`, `qwenproxy_key_concurrency_refused_total{route="/v1/responses"} 1`,
		`qwenproxy_key_concurrency_refused_total{route="/v1/completions"} 1`, `qwenproxy_key_concurrency_refused_total{route="/v1/images/generations"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The clients leave: their places are given back.
	leave()
	refused := 0
	for _, r := range e.rows() {
		if r.ErrorType == "key_concurrency_limit" {
			refused++
			if r.HTTPStatus != 429 || r.Status != "error" || r.Attempts != 0 || r.Responses != 1 {
				t.Errorf("a refused call's record: %+v", r)
			}
		}
	}
	if refused != 5 || e.count(`SELECT COUNT(*) FROM requests WHERE api_key_id = ?`, limitedID) != 7 {
		t.Fatalf("%d calls recorded as refused, want 5", refused)
	}

	// Calls that end well give their places back.
	for range 3 {
		resp, err := chat(ctxT(t), limited)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("one call at a time: %d", resp.StatusCode)
		}
	}
	hold()()
	// Calls that fail give them back.
	e.sim.Inject(qwensim.Fault{Status: 400, Times: 3})
	for range 3 {
		resp, err := chat(ctxT(t), limited)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || resp.StatusCode == 429 {
			t.Fatalf("a call Qwen refuses: %d", resp.StatusCode)
		}
	}
	e.sync()
	leave = hold()
	refusedNow("/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"still two"}]}`,
		map[string]string{"Authorization": "Bearer " + limited})
	leave()
}
