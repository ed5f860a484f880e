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
	// has: the call's other body (written before the built-in dictionary;
	// still read).
	formatS2Dict = 3
	// formatS2Builtin is a built-in dictionary's number (a byte), then an
	// S2 block encoded with that dictionary (see Compress).
	formatS2Builtin = 4
	// formatS2BuiltinAnd is a built-in dictionary's number, then an S2
	// block encoded with that dictionary followed by the call's other body
	// (see CompressWith).
	formatS2BuiltinAnd = 5
)

// MinDict is the smallest dictionary CompressWith uses: below it, the
// dictionary's table (32 KB, built per blob) costs more than it saves.
const MinDict = 2 << 10

// MaxDecoded bounds what one blob may decompress to, so that a damaged blob
// claiming more allocates nothing. It is the largest body the recorder may
// store (RECORD_MAX_BODY_BYTES's ceiling is this): a lower bound left the
// bodies between the two written but unreadable.
const MaxDecoded = 1 << 30

// Codec compresses and decompresses stored blobs. It is safe for concurrent
// use; one per store.
type Codec struct {
	dec *zstd.Decoder // blobs written before S2
	// builtin is the built-in dictionary blobs are written with
	// (builtinID), its hash table made once; builtinRaw its bytes.
	builtin    *s2.Dict
	builtinRaw []byte
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
	raw := builtinBytes(builtinID)
	return &Codec{dec: dec, builtin: s2.MakeDict(raw, nil), builtinRaw: raw}
}

// minCompress is the size below which compressing does not pay.
const minCompress = 64

// Compress returns raw as a stored blob: S2 with the built-in dictionary
// (the framing every recorded body repeats: a 330-byte answer is stored in
// 137 bytes instead of S2's 306) when that is smaller, else raw.
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
	out := c.blob(raw, c.builtin.Encode((*bp)[:need], raw), formatS2Builtin)
	if cap(*bp) <= maxScratch {
		c.scratch.Put(bp)
	}
	return out
}

// blob is the stored blob of raw encoded as enc (with the built-in
// dictionary, in format), or raw itself when that is no larger.
func (c *Codec) blob(raw, enc []byte, format byte) []byte {
	if 2+len(enc) >= 1+len(raw) {
		return append([]byte{formatRaw}, raw...)
	}
	return append(append(make([]byte, 0, 2+len(enc)), format, builtinID), enc...)
}

// CompressWith is Compress with dict — bytes the reader will have when it
// reads the blob (a call's client request, for the request sent to Qwen) —
// after the built-in dictionary, so that what raw repeats of dict costs a
// reference: the request sent upstream carries the client's new messages
// again. Only dict's last 64 KB less the built-in dictionary's size serve.
// A dict under MinDict is not used. A dictionary costs its length in
// hashing, ~2 ns a byte (BenchmarkCompressWithAnswer): worth it only where
// raw repeats much of it that raw alone does not.
func (c *Codec) CompressWith(raw, dict []byte) []byte {
	if len(dict) < MinDict || len(raw) < minCompress {
		return c.Compress(raw)
	}
	return c.blob(raw, withBuiltin(c.builtinRaw, dict).Encode(nil, raw), formatS2BuiltinAnd)
}

// DecompressWith returns a stored blob's bytes, given the dictionary it
// was compressed with, if any (CompressWith).
func (c *Codec) DecompressWith(blob, dict []byte) ([]byte, error) {
	if len(blob) == 0 || (blob[0] != formatS2Dict && blob[0] != formatS2BuiltinAnd) {
		return c.Decompress(blob)
	}
	if len(dict) < MinDict {
		return nil, fmt.Errorf("decompress: the blob needs its dictionary (%d bytes given)", len(dict))
	}
	if blob[0] == formatS2Dict {
		return decodeS2(blob[1:], s2.MakeDict(dict, nil).Decode)
	}
	if len(blob) < 2 || !knownBuiltin(blob[1]) {
		return nil, fmt.Errorf("decompress: unknown built-in dictionary")
	}
	builtin := c.builtinRaw
	if blob[1] != builtinID {
		builtin = builtinBytes(blob[1])
	}
	return decodeS2(blob[2:], withBuiltin(builtin, dict).Decode)
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
	case formatS2Builtin:
		if len(blob) < 2 || !knownBuiltin(blob[1]) {
			return nil, fmt.Errorf("decompress: unknown built-in dictionary")
		}
		if blob[1] == builtinID {
			return decodeS2(blob[2:], c.builtin.Decode)
		}
		return decodeS2(blob[2:], s2.MakeDict(builtinBytes(blob[1]), nil).Decode)
	case formatS2Dict, formatS2BuiltinAnd:
		return nil, fmt.Errorf("decompress: the blob needs its dictionary, the call's other body")
	}
	return nil, fmt.Errorf("decompress: unknown format %d", blob[0])
}
