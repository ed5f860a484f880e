package qwen

import (
	"fmt"
	"io"
)

// KindTooLarge is an answer or a single stream event over its bound: a
// misbehaving upstream must not take the proxy's memory.
const KindTooLarge Kind = "too_large"

// MaxEventBytes bounds one stream event (its data lines together). Qwen's
// events are deltas of a few hundred bytes; the largest, a thinking summary
// resent whole, stays far below.
const MaxEventBytes = 4 << 20

// DefaultMaxAnswerBytes bounds the bytes of one answer's stream
// (QWEN_MAX_ANSWER_BYTES). Qwen streams an event a token, each resending
// its usage: the recorded 2026 answer took 310 bytes a token, so the
// longest answer the model list allows (max_generation_length 65,536) is
// about 20 MB of stream, and a thinking model streams its reasoning
// besides. 16 MiB cut such answers (an agent's write of a 400 KB file);
// 64 MiB holds them twice over. What is kept of an answer is its text, a
// fraction of its stream.
const DefaultMaxAnswerBytes = 64 << 20

// cappedReader fails once more than max bytes were read through it.
type cappedReader struct {
	r    io.Reader
	left int64
	max  int64
	// ended is set once r said io.EOF: the body is read to its end (an
	// HTTP response's connection is back in its client's pool).
	ended bool
	// watch is told of each read from r: its silences are upstream's.
	watch *watchdog
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, &Error{Kind: KindTooLarge, Message: fmt.Sprintf("the answer is over %d bytes (QWEN_MAX_ANSWER_BYTES)", c.max)}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	c.watch.reading()
	n, err := c.r.Read(p)
	c.watch.read(n)
	c.left -= int64(n)
	c.ended = err == io.EOF
	return n, err
}

// errEventTooLarge is a single event over MaxEventBytes.
var errEventTooLarge = &Error{Kind: KindTooLarge, Message: fmt.Sprintf("a stream event is over %d bytes", MaxEventBytes)}
