package bodies

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// golden reads a file of testdata.
func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Blobs written before the built-in dictionary (S2 alone,
// testdata/s2-blob.bin; S2 with the call's client body as dictionary,
// testdata/s2dict-blob.bin, against s2dict-dict.json: an upstream request)
// read back byte for byte.
func TestDecompressReadsS2BlobsWrittenBefore(t *testing.T) {
	c := NewCodec()
	blob, dictBlob, dict := golden(t, "s2-blob.bin"), golden(t, "s2dict-blob.bin"), golden(t, "s2dict-dict.json")
	if blob[0] != formatS2 || dictBlob[0] != formatS2Dict {
		t.Fatalf("golden blobs have formats %d and %d", blob[0], dictBlob[0])
	}
	if got, err := c.Decompress(blob); err != nil || !bytes.Equal(got, golden(t, "s2-blob.json")) {
		t.Errorf("S2 blob: %v", err)
	}
	if got, err := c.DecompressWith(dictBlob, dict); err != nil || !bytes.Equal(got, golden(t, "s2dict-blob.json")) {
		t.Errorf("S2 blob with its dictionary: %v", err)
	}
	if _, err := c.DecompressWith(dictBlob, dict[:100]); err == nil {
		t.Error("S2 blob read with a short dictionary")
	}
}

// Blobs written with built-in dictionary 1 (testdata/builtin-blob.bin, of
// s2-blob.json; builtin-and-blob.bin, of s2dict-blob.json against
// s2dict-dict.json) read back byte for byte: how a blob names its
// dictionary, and how the dictionary and the call's other body are put
// together, are the stored format.
func TestDecompressReadsBuiltinBlobs(t *testing.T) {
	c := NewCodec()
	blob, andBlob := golden(t, "builtin-blob.bin"), golden(t, "builtin-and-blob.bin")
	if blob[0] != formatS2Builtin || blob[1] != 1 || andBlob[0] != formatS2BuiltinAnd || andBlob[1] != 1 {
		t.Fatalf("golden blobs begin %v and %v", blob[:2], andBlob[:2])
	}
	if got, err := c.Decompress(blob); err != nil || !bytes.Equal(got, golden(t, "s2-blob.json")) {
		t.Errorf("built-in dictionary blob: %v", err)
	}
	if got, err := c.DecompressWith(andBlob, golden(t, "s2dict-dict.json")); err != nil || !bytes.Equal(got, golden(t, "s2dict-blob.json")) {
		t.Errorf("built-in dictionary and client body blob: %v", err)
	}
	if _, err := c.Decompress(andBlob); err == nil {
		t.Error("a blob that needs the call's other body read without it")
	}
}

// The built-in dictionary takes the framing off small bodies: a Chat
// Completions answer of 330 bytes (testdata/s2-blob.json) is stored in
// under two thirds of what S2 alone makes of it, and its upstream request
// compressed against its client request in under two thirds of what the
// client request alone gave (testdata/s2dict-blob.bin).
func TestTheBuiltinDictionaryShrinksFraming(t *testing.T) {
	c := NewCodec()
	answer, before := golden(t, "s2-blob.json"), golden(t, "s2-blob.bin")
	if blob := c.Compress(answer); blob[0] != formatS2Builtin || 3*len(blob) > 2*len(before) {
		t.Errorf("answer: format %d, %d bytes; S2 alone %d", blob[0], len(blob), len(before))
	}
	upstream, client, beforeDict := golden(t, "s2dict-blob.json"), golden(t, "s2dict-dict.json"), golden(t, "s2dict-blob.bin")
	if blob := c.CompressWith(upstream, client); blob[0] != formatS2BuiltinAnd || 3*len(blob) > 2*len(beforeDict) {
		t.Errorf("upstream request: format %d, %d bytes; against the client request alone %d", blob[0], len(blob), len(beforeDict))
	}
}

// A blob names the built-in dictionary it was written with, so a released
// dictionary's bytes never change: a blob written with it would no longer
// read. A better dictionary is a new file, under the next number.
func TestBuiltinDictionariesAreFrozen(t *testing.T) {
	released := map[string]string{
		"1.txt": "a54a5a185b44201bb045db61ede2a0cf3d807b61898de1f79edec9c24ac1a563",
	}
	files, err := dictionaryFiles.ReadDir("dictionary")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		id, err := strconv.Atoi(strings.TrimSuffix(f.Name(), ".txt"))
		if err != nil || id < 1 || id > 255 {
			t.Fatalf("dictionary/%s: a dictionary's name is its number, 1 to 255", f.Name())
		}
		b := builtinBytes(byte(id))
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != released[f.Name()] {
			t.Errorf("dictionary/%s has SHA-256 %s; released: %q (a released dictionary never changes; add a new one)", f.Name(), got, released[f.Name()])
		}
	}
	if !knownBuiltin(builtinID) || knownBuiltin(0) || knownBuiltin(byte(len(files)+1)) {
		t.Error("knownBuiltin")
	}
}

// A blob an earlier version wrote (zstd, testdata/zstd-blob.bin, made from
// the JSON beside it) reads back byte for byte: databases written before S2
// need no re-encoding.
func TestDecompressReadsZstdBlobsWrittenBefore(t *testing.T) {
	blob, want := golden(t, "zstd-blob.bin"), golden(t, "zstd-blob.json")
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
		"json":           {[]byte(`{"messages":[` + strings.Repeat(`{"role":"user","content":"hello there"},`, 50) + `{}]}`), formatS2Builtin},
		"incompressible": {random, formatRaw},
	} {
		blob := c.Compress(tc.raw)
		if blob[0] != tc.format {
			t.Errorf("%s: stored as format %d, want %d", name, blob[0], tc.format)
		}
		if tc.format == formatS2Builtin && len(blob) >= len(tc.raw) {
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
		"empty":           {},
		"unknown format":  {9, 1, 2},
		"truncated s2":    good[:len(good)/2],
		"over the bound":  append(huge, 0, 0, 0),
		"truncated zstd":  {formatZstd, 0x28, 0xb5},
		"unknown builtin": append([]byte{formatS2Builtin, 200}, good[2:]...),
		"no builtin":      {formatS2Builtin},
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
	if blob[0] != formatS2BuiltinAnd || len(blob) > len(upstream)/10 {
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
	if small := c.CompressWith(upstream, client[:MinDict-1]); small[0] == formatS2BuiltinAnd {
		t.Fatal("a dictionary under MinDict was used")
	}
	// Blobs of the other formats read as they are.
	if got, err := c.DecompressWith(c.Compress(upstream), client); err != nil || !bytes.Equal(got, upstream) {
		t.Fatalf("a blob without a dictionary: %v", err)
	}
}

// A body as large as the recorder may store (RECORD_MAX_BODY_BYTES goes up
// to 1 GiB) reads back: the store refused to decode a blob of more than 256
// MiB, so a compressible body between that and the limit was written and
// then failed every read of its call (and every export and list page that
// held it). Over the old bound here, to keep the test's memory to ~1 GB.
func TestABodyOverTheOldDecodeBoundReadsBack(t *testing.T) {
	const overOldBound = 256<<20 + 1<<20
	raw := bytes.Repeat([]byte(`{"role":"user","content":"hello"},`), overOldBound/33)
	c := NewCodec()
	got, err := c.Decompress(c.Compress(raw))
	if err != nil {
		t.Fatalf("a %d-byte body: %v", len(raw), err)
	}
	if !bytes.Equal(got, raw) {
		t.Fatal("round trip changed the bytes")
	}
}
