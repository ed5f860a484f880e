// Command qwenbench measures qwenproxy against the cheapest possible proxy.
//
// On loopback and bounded in time, it starts the Qwen simulator (zero think
// time, ~1.2 KB answers in ~200 events) in a process of its own, a floor proxy (a minimal program doing
// the same upstream exchange with no recording, sessions or validation), and
// qwenproxy twice (recording bodies, and RECORD_BODIES=false). It then runs
// streaming and non-streaming calls at several concurrencies against each
// target — direct to the simulator, the floor, and both qwenproxy instances —
// interleaved in short slices so that machine drift touches all alike, and
// reports throughput, latency and TTFT percentiles, added latency, proxy CPU
// per call, peak RSS, memory per open stream, and ratios to the floor. It
// checks that every call through qwenproxy was recorded.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		// Re-executed by the harness: serve the floor proxy or the simulator.
		serve := map[string]func([]string) error{"floor": runFloor, "sim": runSim}[os.Args[1]]
		if serve != nil {
			if err := serve(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "qwenbench %s: %v\n", os.Args[1], err)
				os.Exit(1)
			}
			return
		}
	}
	opt := options{}
	flag.DurationVar(&opt.slice, "slice", time.Second, "length of one measuring slice")
	flag.IntVar(&opt.rounds, "rounds", 3, "slices per target and setting, interleaved")
	conc := flag.String("concurrency", "1,16,64", "comma-separated concurrencies")
	flag.IntVar(&opt.openStreams, "streams", 500, "open streams for the memory-per-stream measurement")
	flag.StringVar(&opt.qwenproxy, "qwenproxy", "", "qwenproxy binary (default: go build ./cmd/qwenproxy)")
	flag.StringVar(&opt.out, "json", "bench-results.json", "file to write the results to (with --smoke: none unless given)")
	flag.IntVar(&opt.answerWords, "answer-words", 200, "words (stream events) per simulated answer")
	flag.Func("variant", "another qwenproxy target with more environment, NAME:ENV=VAL[,ENV=VAL] (repeatable; e.g. qwenproxy-sync:RECORDER_SYNC=true; LOG_LEVEL must stay info or debug: the harness reads the \"listening\" log line)",
		func(v string) error {
			name, env, ok := strings.Cut(v, ":")
			if !ok || name == "" || env == "" {
				return fmt.Errorf("want NAME:ENV=VAL[,ENV=VAL], got %q", v)
			}
			opt.variants = append(opt.variants, variant{name: name, env: strings.Split(env, ",")})
			return nil
		})
	flag.Func("baseline", "another qwenproxy binary measured in the same run, as target \"baseline\" (e.g. one built from main: ratios of a change against it come from one run)",
		func(bin string) error {
			opt.variants = append(opt.variants, variant{name: "baseline", bin: bin})
			return nil
		})
	smoke := flag.Bool("smoke", false, "a few seconds in all: checks that the harness works, measures nothing")
	flag.Parse()
	for _, c := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "qwenbench: bad concurrency %q\n", c)
			os.Exit(2)
		}
		opt.concurrency = append(opt.concurrency, n)
	}
	if *smoke {
		// A smoke run measures nothing: it leaves a results file alone
		// unless one is named.
		named := false
		flag.Visit(func(f *flag.Flag) { named = named || f.Name == "json" })
		if !named {
			opt.out = ""
		}
		opt.slice, opt.rounds, opt.concurrency, opt.openStreams = 150*time.Millisecond, 1, []int{1, 4}, 20
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, opt); err != nil {
		fmt.Fprintln(os.Stderr, "qwenbench:", err)
		os.Exit(1)
	}
}
