package main

import (
	"flag"

	"qwenproxy/internal/qwensim"
)

// runSim serves the Qwen simulator on a loopback port it prints. The harness
// runs it as a process of its own, so that the simulator's work does not
// share a Go runtime (scheduler, collector) with the load generator's: in one
// process each delayed the other's timings, and the latency of every target.
// Its conversations are single turns: it keeps a thousand chats and no log of
// calls, so that its memory (and collection) stays small.
func runSim(args []string) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	words := fs.Int("answer-words", 200, "words (stream events) per simulated answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return serveLoopback(qwensim.New(qwensim.Options{AnswerWords: *words, MaxChats: 1000, NoCallLog: true}).Handler())
}
