package bodies

import (
	"embed"
	"fmt"

	"github.com/klauspost/compress/s2"
)

// The built-in dictionaries: the framing of the bodies the proxy records
// — the keys and fixed values of each client API's requests and answers,
// of the request sent to Qwen (qwen-2026.md) and of Qwen's answer as
// recorded, the words the proxy writes into Qwen's messages — with neutral
// values, least common first (S2 copies from near a dictionary's end cost
// fewer bytes). A blob names the dictionary it was written with, so a file
// here never changes once released (TestBuiltinDictionariesAreFrozen): a
// better one is added under the next number and builtinID moves to it.
//
//go:embed dictionary/*.txt
var dictionaryFiles embed.FS

// builtinID is the built-in dictionary new blobs are written with.
const builtinID = 1

// knownBuiltin says a built-in dictionary of that number exists.
func knownBuiltin(id byte) bool {
	if id == builtinID {
		return true
	}
	_, err := dictionaryFiles.Open(fmt.Sprintf("dictionary/%d.txt", id))
	return id > 0 && err == nil
}

// builtinBytes is a built-in dictionary's bytes; it panics on an unknown
// number (check with knownBuiltin).
func builtinBytes(id byte) []byte {
	b, err := dictionaryFiles.ReadFile(fmt.Sprintf("dictionary/%d.txt", id))
	if err != nil {
		panic(fmt.Sprintf("built-in dictionary %d: %v", id, err))
	}
	return b
}

// withBuiltin is the dictionary of a built-in dictionary's bytes followed
// by as much of other's end as fits S2's 64 KB.
func withBuiltin(builtin, other []byte) *s2.Dict {
	if room := s2.MaxDictSize - len(builtin); len(other) > room {
		other = other[len(other)-room:]
	}
	// 16 bytes over: MakeDict copies a dictionary without them.
	d := make([]byte, 0, len(builtin)+len(other)+16)
	return s2.MakeDict(append(append(d, builtin...), other...), nil)
}
