package e2e

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"qwenproxy/internal/config"
)

// TestFiveHundredConcurrentStreams runs 500 streaming calls at once through
// the simulator: all complete, each is recorded exactly once, and goroutines
// and open files come back to where they were.
func TestFiveHundredConcurrentStreams(t *testing.T) {
	// 500 streams at once on 2 cores, under the race detector, can make the
	// simulator's first byte slower than the other tests' 2 s timeout.
	e := start(t, func(c *config.Config) { c.QwenTimeout = time.Minute })
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 600, MaxIdleConns: 600}}
	burst := func(tag string) {
		var wg sync.WaitGroup
		errs := make(chan error, 500)
		for i := range 500 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"%s %d"}]}`, tag, i)
				resp, err := client.Post(e.app.URL()+"/v1/chat/completions", "application/json", strings.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
					errs <- fmt.Errorf("%d %q", resp.StatusCode, b)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	burst("warm-up") // fills the connection pools, which stay
	client.CloseIdleConnections()
	// Goroutines of finished calls exit, and their connections' files
	// close, just after their responses: settle gives them a bounded
	// moment, checking the condition, not a fixed sleep.
	settle := func(goroutines, files int) (int, int) {
		deadline := time.Now().Add(5 * time.Second)
		for {
			g, f := runtime.NumGoroutine(), openFiles(t)
			if time.Now().After(deadline) || g <= goroutines && f <= files {
				return g, f
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	g0, f0 := settle(runtime.NumGoroutine()-1, math.MaxInt)

	burst("load")
	client.CloseIdleConnections()
	g1, f1 := settle(g0+20, f0+20)
	if g1 > g0+20 || f1 > f0+20 {
		t.Fatalf("goroutines %d → %d, open files %d → %d", g0, g1, f0, f1)
	}
	var calls, distinct, responses int
	if err := e.db().QueryRow(`SELECT COUNT(*), COUNT(DISTINCT request_id), (SELECT COUNT(*) FROM responses) FROM requests`).Scan(&calls, &distinct, &responses); err != nil {
		t.Fatal(err)
	}
	if calls != 1000 || distinct != 1000 || responses != 1000 {
		t.Fatalf("%d calls, %d distinct, %d responses recorded; want 1000 each", calls, distinct, responses)
	}
}

func openFiles(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
