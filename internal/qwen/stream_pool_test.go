package qwen

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// pooledStream reads body through a read buffer from readers, as the
// client's streams do.
func pooledStream(body string, readers *sync.Pool) *Stream {
	ctx, cancel := context.WithCancel(context.Background())
	return newStream(ctx, cancel, io.NopCloser(strings.NewReader(body)), time.Hour, newWatchdog(time.Hour, cancel), readers)
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
