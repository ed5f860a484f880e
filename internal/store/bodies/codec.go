package bodies

import (
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// How a stored blob is encoded: its first byte.
const (
	formatRaw  = 0 // the bytes as they are (compression did not pay)
	formatZstd = 1 // a zstd frame (written before S2; still read)
	formatS2   = 2 // an S2 block (github.com/klauspost/compress/s2)
	// formatS2Dict is an S2 block encoded with a dictionary the reader
	// has: the call's other body (see CompressWith).
	formatS2Dict = 3
)

// MinDict is the smallest dictionary CompressWith uses: below it, the
// dictionary's table (32 KB, built per blob) costs more than it saves.
const MinDict = 2 << 10

// MaxDecoded bounds what one blob may decompress to (bodies are far smaller).
const MaxDecoded = 256 << 20

// Codec compresses and decompresses stored blobs. It is safe for concurrent
// use; one per store.
type Codec struct {
	dec *zstd.Decoder // blobs written before S2
	// scratch holds S2's worst-case output buffers (*[]byte) between
	// calls: a blob is copied out of one at its size, so the records
	// waiting for the writer do not carry a body-sized slack each.
	scratch sync.Pool
}

// maxScratch bounds the buffers kept in Codec.scratch; larger ones are
// made for the call and dropped.
const maxScratch = 1 << 20

// NewCodec returns a codec. It writes S2 blocks: on the small inputs bodies
// are made of (a 1 KB message, BenchmarkCompress1KB) S2 compresses about six
// times faster than zstd at its fastest level, for blobs about a third larger
// (BenchmarkStorageAgent's model: the file grows by ~1.3× the new bytes
// instead of ~1.06×); what bodies repeat is stored once as parts anyway. It reads the zstd frames earlier versions wrote, decoding
// bounded. Its options are constants, so it fails only if they are wrong: it
// panics then.
func NewCodec() *Codec {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(MaxDecoded),
		zstd.WithDecoderMaxWindow(MaxDecoded))
	if err != nil {
		panic(fmt.Sprintf("zstd decoder: %v", err))
	}
	return &Codec{dec: dec}
}

// minCompress is the size below which compressing does not pay.
const minCompress = 64

// Compress returns raw as a stored blob: S2 when that is smaller, else raw.
func (c *Codec) Compress(raw []byte) []byte {
	if len(raw) < minCompress {
		return append([]byte{formatRaw}, raw...)
	}
	need := s2.MaxEncodedLen(len(raw))
	bp, _ := c.scratch.Get().(*[]byte)
	if bp == nil || cap(*bp) < need {
		b := make([]byte, need)
		bp = &b
	}
	enc := s2.Encode((*bp)[:need], raw)
	var out []byte
	if len(enc) >= len(raw) {
		out = append([]byte{formatRaw}, raw...)
	} else {
		out = append(append(make([]byte, 0, 1+len(enc)), formatS2), enc...)
	}
	if cap(*bp) <= maxScratch {
		c.scratch.Put(bp)
	}
	return out
}

// CompressWith is Compress with dict — bytes the reader will have when it
// reads the blob (a call's client request, for the request sent to Qwen) —
// as S2's dictionary, so that what raw repeats of dict costs a reference:
// the request sent upstream carries the client's new messages again, the
// upstream answer the client's answer. Only dict's last 64 KB serve. A
// dict under MinDict is not used.
func (c *Codec) CompressWith(raw, dict []byte) []byte {
	if len(dict) < MinDict || len(raw) < minCompress {
		return c.Compress(raw)
	}
	d := s2.MakeDict(dict, nil)
	if d == nil {
		return c.Compress(raw)
	}
	enc := d.Encode(nil, raw)
	if len(enc) >= len(raw) {
		return append([]byte{formatRaw}, raw...)
	}
	return append(append(make([]byte, 0, 1+len(enc)), formatS2Dict), enc...)
}

// DecompressWith returns a stored blob's bytes, given the dictionary it
// was compressed with, if any (CompressWith).
func (c *Codec) DecompressWith(blob, dict []byte) ([]byte, error) {
	if len(blob) == 0 || blob[0] != formatS2Dict {
		return c.Decompress(blob)
	}
	d := s2.MakeDict(dict, nil)
	if d == nil {
		return nil, fmt.Errorf("decompress: the blob needs its dictionary (%d bytes given)", len(dict))
	}
	return decodeS2(blob[1:], d.Decode)
}

// decodeS2 decodes an S2 block with decode (s2.Decode, or a dictionary's),
// refusing one that would decode to more than MaxDecoded.
func decodeS2(block []byte, decode func(dst, src []byte) ([]byte, error)) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	if n > MaxDecoded {
		return nil, fmt.Errorf("decompress: %d bytes is over the bound of %d", n, MaxDecoded)
	}
	out, err := decode(make([]byte, n), block)
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return out, nil
}

// Decompress returns a stored blob's bytes.
func (c *Codec) Decompress(blob []byte) ([]byte, error) {
	if len(blob) == 0 {
		return nil, fmt.Errorf("decompress: empty blob")
	}
	switch blob[0] {
	case formatRaw:
		return blob[1:], nil
	case formatS2:
		return decodeS2(blob[1:], s2.Decode)
	case formatZstd:
		out, err := c.dec.DecodeAll(blob[1:], nil)
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		return out, nil
	case formatS2Dict:
		return nil, fmt.Errorf("decompress: the blob needs its dictionary, the call's other body")
	}
	return nil, fmt.Errorf("decompress: unknown format %d", blob[0])
}
