// Package bodies encodes recorded bodies for storage: a body's large,
// repeated pieces (the messages, tools and system prompts that agents resend
// on every call) are cut out as parts, stored once each by their SHA-256, and
// the body is kept as a skeleton — the bytes particular to the call, with
// references to its parts — so that joining the parts back into the
// skeleton gives the body byte for byte. Compression is S2 (zstd blobs
// written by earlier versions are read; github.com/klauspost/compress). No
// SQL here: internal/store/sqlstore
// stores the parts and skeletons.
package bodies

import (
	"bytes"
	"hash/maphash"
)

// MinPart is the smallest piece, in bytes, cut out as a part: below it a
// part's row and reference cost more than the bytes they save.
const MinPart = 128

// maxDepth bounds the scanner's nesting; a body nested deeper is kept whole.
const maxDepth = 64

// Span is a part's place in a body: body[Start:End].
type Span struct{ Start, End int }

// Split returns the parts of a JSON body, in order and without overlap: every
// array element and every string value of at least MinPart bytes, outermost
// first (a part's insides are not parts of their own), and runs of short
// array elements (see container). Object keys and the
// top-level value are never parts. A body that is not JSON (it should be)
// has no parts: it is stored whole, and still joins back byte for byte.
func Split(body []byte) []Span {
	s := splitter{b: body}
	end, ok := s.value(s.ws(0), 0, false)
	if !ok || s.ws(end) != len(body) {
		return nil
	}
	return s.spans
}

// Repeats returns the parts of body (as Split cuts them) whose bytes are
// one of of's parts (ofParts, from Split(of)): what an answer repeats of
// its request — the Responses API echoes the request's instructions and
// tools on every call — stored once with the request's parts, while the
// rest of the answer, which recurs nowhere, stays whole. The request's
// parts are found by a hash of their bytes, so that an answer of many
// parts of one size (a long tools list echoed) costs a comparison a part,
// not one per pair.
func Repeats(body, of []byte, ofParts []Span) []Span {
	if len(ofParts) == 0 {
		return nil
	}
	seed := maphash.MakeSeed()
	byHash := make(map[uint64][]Span, len(ofParts))
	for _, sp := range ofParts {
		h := maphash.Bytes(seed, of[sp.Start:sp.End])
		byHash[h] = append(byHash[h], sp)
	}
	var out []Span
	for _, sp := range Split(body) {
		part := body[sp.Start:sp.End]
		for _, o := range byHash[maphash.Bytes(seed, part)] {
			if sameBytes(of[o.Start:o.End], part) {
				out = append(out, sp)
				break
			}
		}
	}
	return out
}

type splitter struct {
	b     []byte
	spans []Span
}

func (s *splitter) ws(i int) int {
	for i < len(s.b) && (s.b[i] == ' ' || s.b[i] == '\t' || s.b[i] == '\n' || s.b[i] == '\r') {
		i++
	}
	return i
}

// value scans the value starting at i and returns where it ends. element
// says the value is an array element (a candidate part whatever its kind);
// any string value below the top level is a candidate too.
func (s *splitter) value(i, depth int, element bool) (int, bool) {
	if i >= len(s.b) || depth > maxDepth {
		return 0, false
	}
	mark := len(s.spans)
	var end int
	var ok bool
	switch c := s.b[i]; {
	case c == '"':
		end, ok = s.str(i)
		element = element || depth > 0
	case c == '{':
		end, ok = s.container(i, depth, '}', true)
	case c == '[':
		end, ok = s.container(i, depth, ']', false)
	default:
		end, ok = s.scalar(i)
	}
	if ok && element && end-i >= MinPart {
		s.spans = append(s.spans[:mark], Span{i, end}) // the whole value, not its insides
	}
	return end, ok
}

// str scans the string starting at i (its opening quote) and returns
// where it ends. A backslash escapes the byte after it, so a quote ends the
// string unless an odd run of backslashes comes right before it: each quote
// is found with bytes.IndexByte (vector instructions, where a loop over the
// bytes cost the recorder ~7 instructions a byte of every body), and only
// the backslashes before it are counted. Each byte is looked at a bounded
// number of times, however many quotes a string escapes.
func (s *splitter) str(i int) (int, bool) {
	for j := i + 1; j < len(s.b); {
		q := bytes.IndexByte(s.b[j:], '"')
		if q < 0 {
			return 0, false
		}
		q += j
		run := 0
		for k := q - 1; k >= j && s.b[k] == '\\'; k-- {
			run++
		}
		if run%2 == 0 {
			return q + 1, true
		}
		j = q + 1
	}
	return 0, false
}

// container scans an object (keyed) or an array from its opening byte.
//
// In an array, an object or array under MinPart opens a run: it and the
// elements after it, up to the first that brings the run to MinPart, make
// one part (their own parts, if any, give way to it). A conversation's
// short messages — "Done.", a tool call's wrapper — would otherwise stay in
// the literal of every later call that resends them; the run recurs as the
// messages do, so it is stored once. A run the array ends before it
// reaches MinPart stays in the literal. Short numbers and strings open no
// run and end an open one, staying in the literal: a list of them (a
// prompt of token ids) cut into 128-byte parts cost a row, a hash and an
// index entry each, nearly twice the list's bytes, where the literal
// compresses it.
func (s *splitter) container(i, depth int, closer byte, keyed bool) (int, bool) {
	i = s.ws(i + 1)
	if i < len(s.b) && s.b[i] == closer {
		return i + 1, true
	}
	run, runMark := -1, 0 // an open run's start, and the spans before it
	for {
		var ok bool
		start := i
		if keyed {
			if i >= len(s.b) || s.b[i] != '"' {
				return 0, false
			}
			if i, ok = s.str(i); !ok {
				return 0, false
			}
			if i = s.ws(i); i >= len(s.b) || s.b[i] != ':' {
				return 0, false
			}
			i = s.ws(i + 1)
		}
		if i, ok = s.value(i, depth+1, !keyed); !ok {
			return 0, false
		}
		if !keyed {
			short := i-start < MinPart
			switch {
			case short && s.b[start] != '{' && s.b[start] != '[':
				run = -1 // a short number or string: see above
			case run >= 0 && i-run >= MinPart:
				s.spans = append(s.spans[:runMark], Span{run, i})
				run = -1
			case run < 0 && short:
				run, runMark = start, len(s.spans)
			}
		}
		if i = s.ws(i); i >= len(s.b) {
			return 0, false
		}
		switch s.b[i] {
		case ',':
			i = s.ws(i + 1)
		case closer:
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// scalar scans a number, true, false or null up to the next delimiter.
func (s *splitter) scalar(i int) (int, bool) {
	j := i
	for j < len(s.b) {
		switch s.b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j, j > i
		}
		j++
	}
	return j, j > i
}

// sameBytes compares a part of the answer with one of the request's. A
// variable so that a test can count the comparisons.
var sameBytes = bytes.Equal
