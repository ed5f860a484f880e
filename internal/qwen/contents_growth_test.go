package qwen

import (
	"strings"
	"testing"
)

// The buffers a stream keeps its deltas' text in start small and double up
// to contentsChunk, so that an ordinary answer's text (a few KiB) costs
// about its own size, while a long one is kept in buffers of contentsChunk
// and a delta longer than that in one of its own size. Until later on
// 2026-12-07 the first was contentsChunk: 16 KiB more allocated by every
// call, a short answer's too.
func TestTheContentBuffersStartSmallAndDoubleToAChunk(t *testing.T) {
	var contents strings.Builder
	delta := func(text string) string {
		return `{"choices":[{"delta":{"role":"assistant","content":"` + text + `","phase":"answer","status":"typing"}}]}`
	}
	var caps []int
	word := strings.Repeat("w", 100)
	for range 400 { // 40 KB of text in 100-byte deltas
		ev, ok := decodeDelta([]byte(delta(word)), "", nil, &contents)
		if !ok || ev.Content != word {
			t.Fatalf("decoded %q, %v", ev.Content, ok)
		}
		if c := contents.Cap(); len(caps) == 0 || caps[len(caps)-1] != c {
			caps = append(caps, c)
		}
	}
	want := []int{contentsFirst, 2 * contentsFirst, 4 * contentsFirst, 8 * contentsFirst, contentsChunk}
	if len(caps) < len(want) {
		t.Fatalf("buffers of %v; want %v, then %d", caps, want, contentsChunk)
	}
	for i, c := range caps {
		// strings.Builder rounds a growth up to its allocator's size class.
		if w := want[min(i, len(want)-1)]; c < w || c > w+w/8 {
			t.Fatalf("buffers of %v; want %v, then %d", caps, want, contentsChunk)
		}
	}
	big := strings.Repeat("x", contentsChunk+1)
	if ev, ok := decodeDelta([]byte(delta(big)), "", nil, &contents); !ok || ev.Content != big || contents.Cap() < len(big) {
		t.Fatalf("a delta over a chunk: %v, buffer of %d", ok, contents.Cap())
	}
}
