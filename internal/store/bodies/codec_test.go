package bodies

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// A blob an earlier version wrote (zstd, testdata/zstd-blob.bin, made from
// the JSON beside it) reads back byte for byte: databases written before S2
// need no re-encoding.
func TestDecompressReadsZstdBlobsWrittenBefore(t *testing.T) {
	blob, err := os.ReadFile("testdata/zstd-blob.bin")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/zstd-blob.json")
	if err != nil {
		t.Fatal(err)
	}
	if blob[0] != formatZstd {
		t.Fatalf("golden blob has format %d, want zstd", blob[0])
	}
	got, err := NewCodec().Decompress(blob)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("zstd blob decoded to %d bytes, want the %d of testdata/zstd-blob.json", len(got), len(want))
	}
}

func TestCompressRoundTrip(t *testing.T) {
	c := NewCodec()
	random := make([]byte, 4096) // incompressible: stored raw
	rand.NewChaCha8([32]byte{1}).Read(random)
	for name, tc := range map[string]struct {
		raw    []byte
		format byte
	}{
		"empty":          {nil, formatRaw},
		"short":          {[]byte(`{"a":1}`), formatRaw},
		"json":           {[]byte(`{"messages":[` + strings.Repeat(`{"role":"user","content":"hello there"},`, 50) + `{}]}`), formatS2},
		"incompressible": {random, formatRaw},
	} {
		blob := c.Compress(tc.raw)
		if blob[0] != tc.format {
			t.Errorf("%s: stored as format %d, want %d", name, blob[0], tc.format)
		}
		if tc.format == formatS2 && len(blob) >= len(tc.raw) {
			t.Errorf("%s: %d bytes compressed to %d", name, len(tc.raw), len(blob))
		}
		got, err := c.Decompress(blob)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, tc.raw) {
			t.Errorf("%s: round trip changed the bytes", name)
		}
	}
}

// A damaged blob is an error, and one claiming more than MaxDecoded is
// refused before anything that size is allocated.
func TestDecompressRefusesDamagedBlobs(t *testing.T) {
	c := NewCodec()
	good := c.Compress([]byte(strings.Repeat(`{"role":"user","content":"hello"},`, 40)))
	huge := binary.AppendUvarint([]byte{formatS2}, MaxDecoded+1)
	for name, blob := range map[string][]byte{
		"empty":          {},
		"unknown format": {9, 1, 2},
		"truncated s2":   good[:len(good)/2],
		"over the bound": append(huge, 0, 0, 0),
		"truncated zstd": {formatZstd, 0x28, 0xb5},
	} {
		if _, err := c.Decompress(blob); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}
