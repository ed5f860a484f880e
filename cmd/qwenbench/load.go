package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sample is one call: its latency and time to first token.
type sample struct {
	latency, ttft time.Duration
}

// caller makes one call of a target and times it.
type caller func(ctx context.Context, stream bool, n int64) (sample, error)

func newClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 512
	return &http.Client{Transport: tr}
}

// openAICaller calls POST /v1/chat/completions, reading the answer to its
// end; TTFT is the first chunk with content (the role chunk does not count).
func openAICaller(client *http.Client, base string) caller {
	return func(ctx context.Context, stream bool, n int64) (sample, error) {
		body := fmt.Sprintf(`{"model":"qwen3-max","stream":%v,"messages":[{"role":"user","content":"benchmark call %d"}]}`, stream, n)
		start := time.Now()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return sample{}, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return sample{}, fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		var ttft time.Duration
		if stream {
			ttft, err = firstMatch(resp.Body, start, []byte(`{"content":"`))
		} else {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		lat := time.Since(start)
		if !stream {
			ttft = lat
		}
		return sample{latency: lat, ttft: ttft}, err
	}
}

// directCaller is what a new conversation costs upstream alone: chats/new,
// then the streamed completion read to its end. It asks what the proxy and
// the floor ask as a guest (thinking left to Qwen: reasoning, then the
// answer), and its first token is the answer's first event.
func directCaller(client *http.Client, base string) caller {
	post := func(ctx context.Context, path, body string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("bx-umidtoken", "bench")
		req.Header.Set("Cookie", "bench=1")
		// What the simulator's 2026 rules want of every call.
		req.Header.Set("User-Agent", "Mozilla/5.0 qwenbench")
		req.Header.Set("source", "web")
		req.Header.Set("Version", "0.3.11")
		req.Header.Set("x-request-id", strconv.FormatInt(time.Now().UnixNano(), 36))
		return client.Do(req)
	}
	return func(ctx context.Context, _ bool, n int64) (sample, error) {
		start := time.Now()
		resp, err := post(ctx, "/api/v2/chats/new", `{"models":["qwen3-max"],"chat_mode":"guest"}`)
		if err != nil {
			return sample{}, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		i := bytes.Index(b, []byte(`"id":"`))
		if i < 0 {
			return sample{}, fmt.Errorf("no chat id in %s", b)
		}
		id := string(b[i+6 : i+6+36])
		resp, err = post(ctx, "/api/v2/chat/completions?chat_id="+id, fmt.Sprintf(
			`{"stream":true,"chat_id":%q,"chat_mode":"guest","model":"qwen3-max","parent_id":null,"messages":[{"role":"user","content":"benchmark call %d","parent_id":null,`+
				`"feature_config":{"thinking_enabled":true,"auto_thinking":true,"thinking_mode":"Auto","output_schema":"phase"}}]}`, id, n))
		if err != nil {
			return sample{}, err
		}
		defer resp.Body.Close()
		ttft, err := firstMatch(resp.Body, start, []byte(`"phase": "answer"`))
		return sample{latency: time.Since(start), ttft: ttft}, err
	}
}

// firstMatch reads r to its end and returns when the first line holding
// marker arrived.
func firstMatch(r io.Reader, start time.Time, marker []byte) (time.Duration, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	var ttft time.Duration
	for {
		line, err := br.ReadSlice('\n')
		if ttft == 0 && bytes.Contains(line, marker) {
			ttft = time.Since(start)
		}
		if err == io.EOF {
			return ttft, nil
		}
		if err != nil && err != bufio.ErrBufferFull {
			return ttft, err
		}
	}
}

// slice runs conc workers calling c until the slice ends and returns their
// samples and error count.
func runSlice(ctx context.Context, c caller, stream bool, conc int, length time.Duration, seq *atomic.Int64) ([]sample, int) {
	ctx, cancel := context.WithTimeout(ctx, length)
	defer cancel()
	var mu sync.Mutex
	var samples []sample
	errors := 0
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				s, err := c(context.WithoutCancel(ctx), stream, seq.Add(1)) // a started call runs to its end
				mu.Lock()
				if err != nil {
					errors++
				} else {
					samples = append(samples, s)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return samples, errors
}
