package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/app"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store"
)

// A key allowed one call in flight, used one call after another (an agent's
// loop), is never refused: a call's place is given back before its client
// can see the answer's end, streamed or whole.
func TestAKeyOfOneCallUsedOneAfterAnotherIsNeverRefused(t *testing.T) {
	for _, sync := range []bool{false, true} {
		t.Run(fmt.Sprint("RECORDER_SYNC=", sync), func(t *testing.T) { testOneCallAfterAnother(t, sync) })
	}
}

func testOneCallAfterAnother(t *testing.T, sync bool) {
	e := start(t, func(c *config.Config) { c.QwenTimeout, c.RecorderSync = time.Minute, sync })
	e.stop()
	limited, _ := addLimitedKey(t, e.cfg.DatabasePath, 1)
	e.boot()
	for i := range 60 {
		body := fmt.Sprintf(`{"model":"qwen3-max","stream":%v,"messages":[{"role":"user","content":"call %d"}]}`, i%2 == 0, i)
		resp := send(t, e, http.MethodPost, "/v1/chat/completions", "application/json", body, map[string]string{"Authorization": "Bearer " + limited})
		// As the SDKs do, a stream is read up to its [DONE] and no further.
		var b []byte
		for chunk := make([]byte, 512); ; {
			n, err := resp.Body.Read(chunk)
			b = append(b, chunk[:n]...)
			if err != nil || strings.HasSuffix(string(b), "data: [DONE]\n\n") {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.Contains(string(b), "key_concurrency_limit") {
			t.Fatalf("call %d, after the one before ended: %d %s", i, resp.StatusCode, b)
		}
	}
}

// Two instances sharing a PostgreSQL database hold a key to one limit
// between them: a call the first holds leaves the second none of a key
// allowed one, and the place is free again once that call ends.
func TestInstancesSharingPostgresHoldAKeyToOneLimit(t *testing.T) {
	first := startOn(t, "postgres", func(c *config.Config) { c.QwenTimeout = time.Minute })
	first.stop() // the key is there when both start
	st, err := store.Open(ctxT(t), first.dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, stored := auth.NewKey("agent", false, time.Now())
	stored.MaxConcurrent = 1
	err = st.AddAPIKey(ctxT(t), stored)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	first.boot()
	secondCfg := *first.cfg
	secondCfg.Port, secondCfg.SpoolPath = 0, filepath.Join(t.TempDir(), "second.spool")
	second, err := app.Start(ctxT(t), &secondCfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		second.Shutdown(ctx)
	})
	chat := func(ctx context.Context, base string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions",
			strings.NewReader(`{"model":"qwen3-max","messages":[{"role":"user","content":"`+qp.NewID()+`"}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		return http.DefaultClient.Do(req)
	}
	status := func(base string) (int, string) {
		t.Helper()
		resp, err := chat(ctxT(t), base)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// The first instance holds a call until its client leaves.
	reached := make(chan struct{}, 1)
	first.sim.Inject(qwensim.Fault{Delay: time.Minute, Times: 1, Reached: reached})
	ctx, leave := context.WithCancel(ctxT(t))
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		if resp, err := chat(ctx, first.app.URL()); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-reached:
	case <-ended:
		t.Fatal("the held call ended before Qwen had it")
	}
	if code, body := status(second.URL()); code != http.StatusTooManyRequests || !strings.Contains(body, "key_concurrency_limit") {
		t.Fatalf("the second instance, while the first holds the key's one call: %d %s", code, body)
	}
	leave()
	<-ended
	first.sync() // the held call has ended: its place is back
	if code, body := status(second.URL()); code != http.StatusOK {
		t.Fatalf("the second instance, once the first's call ended: %d %s", code, body)
	}
	if code, body := status(first.app.URL()); code != http.StatusOK {
		t.Fatalf("the first instance after: %d %s", code, body)
	}
}
