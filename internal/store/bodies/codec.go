package bodies

import (
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// How a stored blob is encoded: its first byte.
const (
	formatRaw  = 0 // the bytes as they are (compression did not pay)
	formatZstd = 1 // a zstd frame
)

// MaxDecoded bounds what one blob may decompress to (bodies are far smaller).
const MaxDecoded = 256 << 20

// Codec compresses and decompresses stored blobs. It is safe for concurrent
// use; one per store.
type Codec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// NewCodec returns a codec: zstd at its fastest level, decoding bounded. A
// 64 KB window and the encoder's lower-memory tables halve the cost of the
// small inputs bodies are made of (a 1 KB message: ~5 µs, BenchmarkCompress1KB)
// at the same ratio on this module's text (BenchmarkStorageAgent): repeats
// further apart than 64 KB are parts, stored once anyway. Its options are
// constants, so it fails only if they are wrong: it panics then.
func NewCodec() *Codec {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderCRC(false), zstd.WithZeroFrames(true), zstd.WithWindowSize(1<<16), zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic(fmt.Sprintf("zstd encoder: %v", err))
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(MaxDecoded),
		zstd.WithDecoderMaxWindow(MaxDecoded))
	if err != nil {
		panic(fmt.Sprintf("zstd decoder: %v", err))
	}
	return &Codec{enc: enc, dec: dec}
}

// minCompress is the size below which compressing does not pay.
const minCompress = 64

// Compress returns raw as a stored blob: zstd when that is smaller, else raw.
func (c *Codec) Compress(raw []byte) []byte {
	if len(raw) < minCompress {
		return append([]byte{formatRaw}, raw...)
	}
	out := make([]byte, 1, len(raw)/2+16)
	out[0] = formatZstd
	out = c.enc.EncodeAll(raw, out)
	if len(out) >= len(raw)+1 {
		out = append(append(out[:0], formatRaw), raw...)
	}
	return out
}

// Decompress returns a stored blob's bytes.
func (c *Codec) Decompress(blob []byte) ([]byte, error) {
	if len(blob) == 0 {
		return nil, fmt.Errorf("decompress: empty blob")
	}
	switch blob[0] {
	case formatRaw:
		return blob[1:], nil
	case formatZstd:
		out, err := c.dec.DecodeAll(blob[1:], nil)
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("decompress: unknown format %d", blob[0])
}
