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
// (QWEN_MAX_ANSWER_BYTES).
const DefaultMaxAnswerBytes = 16 << 20

// cappedReader fails once more than max bytes were read through it.
type cappedReader struct {
	r    io.Reader
	left int64
	max  int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, &Error{Kind: KindTooLarge, Message: fmt.Sprintf("the answer is over %d bytes (QWEN_MAX_ANSWER_BYTES)", c.max)}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// errEventTooLarge is a single event over MaxEventBytes.
var errEventTooLarge = &Error{Kind: KindTooLarge, Message: fmt.Sprintf("a stream event is over %d bytes", MaxEventBytes)}
