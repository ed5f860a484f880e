package main

import (
	"strings"
	"testing"
)

// A floor that added no measurable latency gives no ratio: the harness
// printed -72.97 when noise put the floor's p50 under direct's.
func TestRatioOfNothingIsNone(t *testing.T) {
	for _, c := range []struct{ a, b, want float64 }{{3, 2, 1.5}, {3, 0, 0}, {3, -0.04, 0}, {-1, 2, -0.5}} {
		if got := ratio(c.a, c.b); got != c.want {
			t.Errorf("ratio(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	if orNA(0) != "n/a" || orNA(1.234) != "1.23" {
		t.Errorf("orNA: %q %q", orNA(0), orNA(1.234))
	}
}

// Every target with a process of its own holds the open streams (the peak
// RSS of a baseline or variant is of the same work as the build's); direct
// has no process. Only the floor and qwenproxy did.
func TestEveryServedTargetHoldsTheOpenStreams(t *testing.T) {
	p := &proc{}
	targets := []*target{{name: "direct"}, {name: "floor", proc: p}, {name: "qwenproxy", proc: p},
		{name: "qwenproxy-metadata", proc: p}, {name: "baseline", proc: p}, {name: "l500", proc: p}}
	var names []string
	for _, t := range served(targets) {
		names = append(names, t.name)
	}
	if got := strings.Join(names, " "); got != "floor qwenproxy qwenproxy-metadata baseline l500" {
		t.Errorf("streams held by %q", got)
	}
}
