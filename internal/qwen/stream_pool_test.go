package qwen

import (
	"context"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// pooledStream reads body through a read buffer from readers, as the
// client's streams do.
func pooledStream(body string, readers *sync.Pool) *Stream {
	ctx, cancel := context.WithCancel(context.Background())
	return newStream(ctx, cancel, io.NopCloser(strings.NewReader(body)), newWatchdog(time.Hour, cancel), readers)
}

// A read buffer handed back on Close serves the next stream without any of
// the first stream's unread bytes, and the closed stream no longer reads
// through it.
func TestStreamReadBufferReused(t *testing.T) {
	readers := &sync.Pool{New: newStreamReader}
	first := pooledStream("data: {\"choices\":[{\"delta\":{\"content\":\"one\",\"phase\":\"answer\"}}]}\n\n"+
		"data: {\"choices\":[{\"delta\":{\"content\":\"left unread\",\"phase\":\"answer\"}}]}\n\n", readers)
	if ev, err := first.Next(); err != nil || ev.Content != "one" {
		t.Fatalf("first stream: %+v, %v", ev, err)
	}
	buf := first.r
	first.Close()
	if first.r == buf {
		t.Fatal("the closed stream still holds the pooled buffer")
	}
	if _, err := first.Next(); err == nil {
		t.Fatal("a closed stream read on")
	}
	if first.Buffered() != 0 {
		t.Fatalf("a closed stream has %d bytes buffered", first.Buffered())
	}

	second := pooledStream("data: {\"choices\":[{\"delta\":{\"content\":\"two\",\"phase\":\"answer\"}}]}\n\n", readers)
	defer second.Close()
	evs, err := readAll(t, second)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, ev := range evs {
		text.WriteString(ev.Content)
	}
	if text.String() != "two" {
		t.Fatalf("second stream read %q, want %q", text.String(), "two")
	}
}

// TestStreamsDecodeAlikeThroughThePool: the shape a stream learns goes
// back to the pool with its read buffer, emptied; a stream that takes it
// decodes every answer exactly as a stream of its own would, whatever the
// stream before it read: the recorded answer (which learns and tightens a
// shape), its first events alone, and answers whose deltas have another
// shape, one after the other in every order.
func TestStreamsDecodeAlikeThroughThePool(t *testing.T) {
	recorded, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	events := strings.Split(string(recorded), "\n\n")
	answers := []string{
		string(recorded),
		strings.Join(append(events[:3:3], events[len(events)-2:]...), "\n\n"),
		"data: {\"choices\":[{\"delta\":{\"content\":\"a\",\"phase\":\"answer\"}}]}\n\n" +
			"data: {\"choices\":[{\"delta\":{\"content\":\"b\",\"phase\":\"answer\"}}]}\n\n" +
			"data: {\"choices\":[{\"delta\":{\"content\":\"c\",\"phase\":\"think\"}}]}\n\n" +
			"data: {\"choices\":[{\"delta\":{\"content\":\"d\",\"phase\":\"think\"}}]}\n\n",
		"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"x\",\"phase\":\"answer\",\"status\":\"typing\"}}],\"response_id\":\"r1\"}\n\n" +
			"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"yz\",\"phase\":\"answer\",\"status\":\"typing\"}}],\"response_id\":\"r1\"}\n\n",
	}
	own := make([][]Event, len(answers))
	for i, a := range answers {
		s := pooledStream(a, nil)
		if own[i], err = readAll(t, s); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	readers := &sync.Pool{New: newStreamReader}
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 0, 1, 3, 0, 2, 2}} {
		for _, i := range order {
			s := pooledStream(answers[i], readers)
			got, err := readAll(t, s)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			if !reflect.DeepEqual(got, own[i]) {
				t.Fatalf("answer %d (order %v) through the pool: %d events, %+v; alone %d, %+v", i, order, len(got), got, len(own[i]), own[i])
			}
		}
	}
}
