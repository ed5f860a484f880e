package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressBarOnATerminal(t *testing.T) {
	var out bytes.Buffer
	p := &progress{w: &out, verb: "copied", on: true, start: time.Now().Add(-time.Second)}
	p.setOf(250, 1000)
	line := out.String()
	if !strings.Contains(line, "copied [#######.......................]  25% 250/1000 calls") || !strings.Contains(line, "left") {
		t.Fatalf("bar %q", line)
	}
	p.done(1000)
	if !strings.HasSuffix(out.String(), "\n") || !strings.Contains(out.String(), "copied 1000 calls in") {
		t.Fatalf("done %q", out.String())
	}

	// Not a terminal (a file, a pipe): nothing at all.
	out.Reset()
	quiet := newProgress(&out, "copied")
	quiet.setOf(1, 2)
	quiet.done(2)
	if out.Len() != 0 {
		t.Fatalf("printed %q off a terminal", out.String())
	}
}
