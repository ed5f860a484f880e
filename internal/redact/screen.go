package redact

import (
	"bytes"
	"encoding/binary"
)

// screen tells, in one pass over a text, whether it holds any of a set of
// patterns (a Known's values in each of their forms), so that the common
// text that holds none costs neither the copy nor the Replacer's walk
// that masking it would.
//
// It reads one gram (gramLen bytes) every stride bytes: an occurrence of a
// pattern of stride+gramLen-1 bytes or more always holds a gram read whole,
// at one of stride offsets in a row in the pattern (its last ones). Those grams of every
// pattern are marked in a bitmap of their hashes; a gram whose hash is
// marked is looked up, and the patterns it may start at its offset are
// compared in place. Patterns too short for the stride (a short password,
// a short cookie's name=value) are each looked for whole, by their rarest
// byte (rare).
type screen struct {
	stride int
	marked *[1 << (hashBits - 6)]uint64
	at     map[uint32][]anchor
	short  []rare
}

// rare is a short pattern and the place of its byte least common in the
// texts a call carries, which a look for the pattern looks for first.
type rare struct {
	pattern []byte
	at      int
}

// commonness ranks bytes by how common they are in English and source
// code, higher more common: a byte not ranked (digits, most punctuation,
// what is not ASCII) is rarer than any that is.
var commonness = func() (rank [256]uint8) {
	const common = "zqjxkvbpgywfmculdrhsnioate \"" // rarest first
	for i := range len(common) {
		rank[common[i]] = uint8(i + 1)
		if c := common[i]; 'a' <= c && c <= 'z' {
			rank[c-'a'+'A'] = uint8(i+1) / 2 // capitals are rarer
		}
	}
	return rank
}()

func rareOf(p []byte) rare {
	r := rare{pattern: p}
	for i, c := range p {
		if commonness[c] < commonness[p[r.at]] {
			r.at = i
		}
	}
	return r
}

// in reports whether b holds r's pattern.
func (r rare) in(b []byte) bool {
	c, n := r.pattern[r.at], len(r.pattern)
	for from := r.at; from < len(b); {
		i := bytes.IndexByte(b[from:], c)
		if i < 0 {
			return false
		}
		start := from + i - r.at
		if start >= 0 && start+n <= len(b) && bytes.Equal(b[start:start+n], r.pattern) {
			return true
		}
		from += i + 1
	}
	return false
}

// anchor is a gram's place in a pattern.
type anchor struct {
	pattern []byte
	off     int
}

const (
	gramLen = 4
	// minStride bounds how often the screen reads a gram: a pattern shorter
	// than minStride+gramLen-1 bytes is looked for whole rather than make
	// every text be read more closely.
	minStride = 8
	hashBits  = 16
)

func gramHash(g uint32) uint32 { return (g * 0x9E3779B1) >> (32 - hashBits) }

func newScreen(patterns []string) screen {
	s := screen{stride: 1 << 30}
	var long []string
	seen := map[string]bool{}
	for _, p := range patterns {
		switch n := len(p); {
		case n == 0 || seen[p]:
		case n < minStride+gramLen-1:
			s.short = append(s.short, rareOf([]byte(p)))
		default:
			long = append(long, p)
			s.stride = min(s.stride, n-gramLen+1)
		}
		seen[p] = true
	}
	if len(long) == 0 {
		return s
	}
	s.marked = new([1 << (hashBits - 6)]uint64)
	s.at = map[uint32][]anchor{}
	for _, p := range long {
		b := []byte(p)
		// The last grams a read may take whole: a pattern's end (a JWT's
		// signature) is rarer in a text than its start (token=eyJhbGci).
		last := len(b) - s.stride - gramLen + 1
		for off := last; off < last+s.stride; off++ {
			g := binary.LittleEndian.Uint32(b[off:])
			h := gramHash(g)
			s.marked[h>>6] |= 1 << (h & 63)
			s.at[g] = append(s.at[g], anchor{b, off})
		}
	}
	return s
}

// in reports whether b may hold one of the patterns: true whenever it
// does, and only then.
func (s *screen) in(b []byte) bool {
	for _, r := range s.short {
		if r.in(b) {
			return true
		}
	}
	if s.marked == nil {
		return false
	}
	for j := 0; j+gramLen <= len(b); j += s.stride {
		g := binary.LittleEndian.Uint32(b[j:])
		if h := gramHash(g); s.marked[h>>6]&(1<<(h&63)) == 0 {
			continue
		}
		for _, a := range s.at[g] {
			if start := j - a.off; start >= 0 && bytes.HasPrefix(b[start:], a.pattern) {
				return true
			}
		}
	}
	return false
}

// In reports whether b holds any of the known values, in any of the forms
// masked: whether Bytes or JSON would have anything to mask. It reads b
// once, without allocating.
func (k *Known) In(b []byte) bool {
	return k != nil && len(b) > 0 && k.screen.in(b)
}
