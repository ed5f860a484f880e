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

// A blob compressed against a dictionary the reader has (a call's client
// body, for the body sent upstream that repeats it) reads back with it, is
// far smaller than alone when it repeats the dictionary, and is refused
// without it; a dictionary under MinDict is not used.
func TestCompressWithADictionary(t *testing.T) {
	c := NewCodec()
	random := make([]byte, 8192) // incompressible alone
	rand.NewChaCha8([32]byte{2}).Read(random)
	client := append([]byte(`{"messages":[{"role":"tool","content":"`), random...)
	upstream := append(append([]byte(`{"content":"Result of read_file: `), random[:6000]...), `"}`...)
	blob := c.CompressWith(upstream, client)
	if blob[0] != formatS2Dict || len(blob) > len(upstream)/10 {
		t.Fatalf("format %d, %d bytes for %d that repeat the dictionary", blob[0], len(blob), len(upstream))
	}
	got, err := c.DecompressWith(blob, client)
	if err != nil || !bytes.Equal(got, upstream) {
		t.Fatalf("read back with its dictionary: %v", err)
	}
	if _, err := c.Decompress(blob); err == nil {
		t.Fatal("a blob that needs its dictionary read without it")
	}
	if _, err := c.DecompressWith(blob, nil); err == nil {
		t.Fatal("a blob that needs its dictionary read with none")
	}
	if small := c.CompressWith(upstream, client[:MinDict-1]); small[0] == formatS2Dict {
		t.Fatal("a dictionary under MinDict was used")
	}
	// Blobs of the other formats read as they are.
	if got, err := c.DecompressWith(c.Compress(upstream), client); err != nil || !bytes.Equal(got, upstream) {
		t.Fatalf("a blob without a dictionary: %v", err)
	}
}
