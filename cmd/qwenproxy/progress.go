package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress prints a running count on a terminal, at most ten times a
// second, and nothing when the output is a file or a pipe.
type progress struct {
	w     io.Writer
	verb  string
	on    bool
	last  time.Time
	start time.Time
}

func newProgress(w io.Writer, verb string) *progress {
	f, ok := w.(*os.File)
	on := ok && isTerminal(f)
	return &progress{w: w, verb: verb, on: on, start: time.Now()}
}

func (p *progress) set(n int) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	rate := float64(n) / time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "\r%s %s (%.0f/s)", p.verb, plural(n, "call"), rate)
}

// setOf draws a bar: n of total calls, the rate and the time left.
func (p *progress) setOf(n, total int) {
	if total <= 0 {
		p.set(n)
		return
	}
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := min(width, width*n/total)
	rate := float64(n) / time.Since(p.start).Seconds()
	left := "?"
	if rate > 0 {
		left = (time.Duration(float64(total-n)/rate) * time.Second).String()
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %d/%s (%.0f/s, %s left)  ", p.verb,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), 100*n/total, n, plural(total, "call"), rate, left)
}

func (p *progress) done(n int) {
	if p.on {
		fmt.Fprintf(p.w, "\r%s %s in %s\n", p.verb, plural(n, "call"), time.Since(p.start).Round(time.Millisecond))
	}
}
