package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite"

	"qwenproxy/internal/qwensim"
)

type options struct {
	slice       time.Duration
	rounds      int
	concurrency []int
	openStreams int
	qwenproxy   string
	out         string
	answerWords int
	// variants are more qwenproxy targets, each with its own environment
	// (--variant qwenproxy-sync:RECORDER_SYNC=true).
	variants []variant
}

// variant is a qwenproxy target started with more environment, or from
// another binary (bin; "" is the one measured).
type variant struct {
	name string
	env  []string
	bin  string
}

// targetNames lists the targets in report order.
func (o options) targetNames() []string {
	names := []string{"direct", "floor", "qwenproxy", "qwenproxy-metadata"}
	for _, v := range o.variants {
		names = append(names, v.name)
	}
	return names
}

// target is one thing measured: its caller and, for servers, its process.
type target struct {
	name   string
	call   caller
	proc   *proc        // nil for direct
	calls  atomic.Int64 // calls made through it, for the recording check
	record bool         // a qwenproxy: every call must be recorded
}

// counted wraps the target's caller so that every call is counted.
func (t *target) counted() caller {
	return func(ctx context.Context, stream bool, n int64) (sample, error) {
		t.calls.Add(1)
		return t.call(ctx, stream, n)
	}
}

// key names one measured setting.
type key struct {
	target string
	stream bool
	conc   int
}

type result struct {
	samples []sample
	errors  int
	elapsed time.Duration
	cpu     time.Duration
}

func run(ctx context.Context, opt options) error {
	dir, err := os.MkdirTemp("", "qwenbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := opt.qwenproxy
	if bin == "" {
		if bin, err = buildQwenproxy(dir); err != nil {
			return err
		}
	}
	// Every process started is killed on the way out, also when a later
	// one fails to start.
	var procs []*proc
	defer func() {
		for _, p := range procs {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	}()
	sim, err := startSelf("sim", "--answer-words", strconv.Itoa(opt.answerWords))
	if err != nil {
		return err
	}
	procs = append(procs, sim)
	floor, err := startSelf("floor", "--upstream", sim.url)
	if err != nil {
		return err
	}
	procs = append(procs, floor)
	recorded, err := startQwenproxy(bin, "qwenproxy", dir, sim.url)
	if err != nil {
		return err
	}
	procs = append(procs, recorded)
	metadata, err := startQwenproxy(bin, "qwenproxy-metadata", dir, sim.url, "RECORD_BODIES=false")
	if err != nil {
		return err
	}
	procs = append(procs, metadata)
	var variantTargets []*target
	for _, v := range opt.variants {
		vbin := bin
		if v.bin != "" {
			vbin = v.bin
		}
		p, err := startQwenproxy(vbin, v.name, dir, sim.url, v.env...)
		if err != nil {
			return err
		}
		procs = append(procs, p)
		variantTargets = append(variantTargets, &target{name: v.name, call: openAICaller(newClient(), p.url), proc: p, record: true})
	}

	client := newClient()
	targets := []*target{
		{name: "direct", call: directCaller(client, sim.url)},
		{name: "floor", call: openAICaller(client, floor.url), proc: floor},
		{name: "qwenproxy", call: openAICaller(client, recorded.url), proc: recorded, record: true},
		{name: "qwenproxy-metadata", call: openAICaller(client, metadata.url), proc: metadata, record: true},
	}
	targets = append(targets, variantTargets...)
	fmt.Fprintf(os.Stderr, "qwenbench: %d rounds of %s slices, concurrency %v, answers of %d events\n",
		opt.rounds, opt.slice, opt.concurrency, opt.answerWords)

	// Warm every target (connections, caches, page faults) before measuring.
	var seq atomic.Int64
	for _, t := range targets {
		runSlice(ctx, t.counted(), true, 4, opt.slice/2, &seq)
		runSlice(ctx, t.counted(), false, 4, opt.slice/2, &seq)
		if t.record {
			settle(ctx, t)
		}
	}

	results := map[key]*result{}
	for round := range opt.rounds {
		for _, stream := range []bool{false, true} {
			for _, conc := range opt.concurrency {
				// Rotate the order each round, so no target always goes first.
				for i := range targets {
					t := targets[(i+round)%len(targets)]
					k := key{t.name, stream, conc}
					r := results[k]
					if r == nil {
						r = &result{}
						results[k] = r
					}
					var cpu0 time.Duration
					if t.proc != nil {
						cpu0 = t.proc.cpu()
					}
					start := time.Now()
					samples, errs := runSlice(ctx, t.counted(), stream, conc, opt.slice, &seq)
					r.elapsed += time.Since(start)
					if t.record {
						settle(ctx, t)
					}
					if t.proc != nil {
						r.cpu += t.proc.cpu() - cpu0
					}
					r.samples = append(r.samples, samples...)
					r.errors += errs
					if err := ctx.Err(); err != nil {
						return err
					}
				}
			}
		}
	}

	perStream := map[string]int64{}
	for _, t := range served(targets) {
		if perStream[t.name], err = memoryPerStream(ctx, sim, t, opt.openStreams, &seq); err != nil {
			return err
		}
	}
	peak := map[string]int64{}
	for _, p := range procs {
		_, peak[p.name] = p.memory()
	}

	// Stop the proxies gracefully (their recorders drain), then check that
	// every call through them is in their database.
	var check []recordCheck
	for _, t := range targets {
		if !t.record {
			continue
		}
		stopCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := t.proc.stop(stopCtx)
		cancel()
		if err != nil {
			return fmt.Errorf("stop %s: %w", t.name, err)
		}
		n, err := countRequests(t.proc.db)
		if err != nil {
			return err
		}
		check = append(check, recordCheck{Target: t.name, Calls: t.calls.Load(), Recorded: n})
	}

	rep := buildReport(opt, results, perStream, peak, check)
	rep.print(os.Stdout)
	if opt.out != "" {
		if err := rep.write(opt.out); err != nil {
			return err
		}
	}
	for _, c := range check {
		if c.Calls != c.Recorded {
			return fmt.Errorf("%s: %d calls, %d recorded", c.Target, c.Calls, c.Recorded)
		}
	}
	return nil
}

// served is the targets that run as a process of their own: each holds the
// open streams of the memory measurement, so that every build's peak RSS is
// of the same work (a baseline spared the 500 streams looked a third
// smaller than the build it was compared with).
func served(targets []*target) []*target {
	var s []*target
	for _, t := range targets {
		if t.proc != nil {
			s = append(s, t)
		}
	}
	return s
}

// injectFault queues f in the simulator at base (POST /__sim/faults).
func injectFault(ctx context.Context, base string, f qwensim.Fault) error {
	body, err := json.Marshal([]qwensim.Fault{f})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/__sim/faults", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("inject a fault into the simulator: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("inject a fault into the simulator: HTTP %d", resp.StatusCode)
	}
	return nil
}

type recordCheck struct {
	Target   string `json:"target"`
	Calls    int64  `json:"calls"`
	Recorded int64  `json:"recorded"`
}

// settle waits until every call made through a recording target is in its
// database (or settleLimit passes: the final check then reports what is
// missing). The recorder commits in batches after a linger, so a slice's
// last calls are written after it ends: their writing is the slice's work,
// counted in its CPU, and must not run on in the next target's slice, whose
// latencies it would take from.
func settle(ctx context.Context, t *target) {
	const settleLimit = 10 * time.Second
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(settleLimit)
	for time.Now().Before(deadline) {
		if n, err := countRequests(t.proc.db); err == nil && n >= t.calls.Load() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func countRequests(db string) (int64, error) {
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n int64
	err = conn.QueryRow(`SELECT COUNT(*) FROM requests`).Scan(&n)
	return n, err
}

// memoryPerStream opens n streams that stay open (the simulator stalls them
// after a few events) and returns the target's resident memory growth per
// stream, once every stream has delivered its first token.
func memoryPerStream(ctx context.Context, sim *proc, t *target, n int, seq *atomic.Int64) (int64, error) {
	if err := injectFault(ctx, sim.url, qwensim.Fault{StallAfter: 3, Times: n}); err != nil {
		return 0, err
	}
	before, _ := t.proc.memory()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := newClient()
	var opened, done sync.WaitGroup
	opened.Add(n)
	for range n {
		done.Add(1)
		t.calls.Add(1)
		go func() {
			defer done.Done()
			holdStream(ctx, client, t.proc.url, seq.Add(1), sync.OnceFunc(opened.Done))
		}()
	}
	all := make(chan struct{})
	go func() { opened.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		return 0, fmt.Errorf("%s: %d streams did not all open", t.name, n)
	}
	during, _ := t.proc.memory()
	cancel()
	done.Wait()
	return max(0, during-before) / int64(n), nil
}

// holdStream opens a streaming call, reports when its first token arrives,
// and keeps it open until ctx ends.
func holdStream(ctx context.Context, client *http.Client, base string, n int64, opened func()) {
	defer opened() // also on failure: the caller must not wait forever
	body := fmt.Sprintf(`{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"held stream %d"}]}`, n)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadSlice('\n')
		if bytes.Contains(line, []byte(`{"content":"`)) {
			opened()
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
