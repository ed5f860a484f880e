package qwen

import (
	"bytes"
	"strings"
)

// shape is a common delta event the scanner read (decodeDelta), cut where
// the events that follow it in an answer differ: the content, the response
// id and the numbers. Qwen sends hundreds of such events an answer, alike
// byte for byte around those holes (the same keys in the same order, the
// same role, phase and status, the same spacing). An event that matches the
// shape outside the holes, with a string in each string hole and a number
// in each number hole, is therefore the same JSON document as the one
// learnt but for those values: it decodes to the learnt event with the
// holes' values put in, and only the holes need reading. Anything else
// (another phase, the finished event, a new key) fails to match and goes
// to the scanner, which learns the new shape.
type shape struct {
	valid bool
	lit   []byte // the learnt event with its holes cut out
	holes []hole // in order
	ev    Event  // the learnt event's decoding, the holes' fields aside
	spans []span // the scanner's notes, kept for their capacity

	// The learnt event and its holes, until the first event to match
	// tightens the shape (see tighten).
	tight   bool
	src     []byte
	learnt  []span
	matched []span // the holes of a match, kept for their capacity

	// plainID is the last response id sameID found to be a JSON string's
	// bytes as they are (nothing escaped, no control character).
	plainID string
}

// sameID returns the length of b's leading JSON string when it is id
// itself, quoted and with nothing escaped (every event of an answer names
// the same response), 0 otherwise. A string of that length is then the
// one rawString would read: id holds no quote to end it sooner, nor
// anything it would refuse. Comparing costs a fraction of reading the
// string a byte at a time.
func (sh *shape) sameID(b []byte, id string) int {
	n := len(id) + 2
	if len(id) == 0 || len(b) < n || b[0] != '"' || b[n-1] != '"' || string(b[1:n-1]) != id {
		return 0
	}
	if id != sh.plainID { // the same string: its bytes are compared only when it changed
		for i := range len(id) {
			if !plainInString[id[i]] {
				return 0
			}
		}
		sh.plainID = id
	}
	return n
}

// holeKind is what a hole holds and where its value goes.
type holeKind uint8

const (
	holeContent            holeKind = iota + 1 // a string: Event.Content
	holeResponseID                             // a string: Event.ResponseID
	holeInputTokens                            // an integer: Usage.InputTokens
	holeOutputTokens                           // an integer: Usage.OutputTokens
	holeTotalTokens                            // an integer: Usage.TotalTokens
	holeReasoningTokens                        // an integer: Usage.OutputTokensDetails.ReasoningTokens
	holeCachedTokens                           // an integer: Usage.CachedTokens (2025)
	holePromptCachedTokens                     // an integer: Usage.PromptTokensDetails.CachedTokens (2026)
	holeNumber                                 // a number nobody reads (timestamp, characters, …)
)

// hole is a cut in shape.lit at offset at.
type hole struct {
	at   int
	what holeKind
}

// span is a hole as the scanner notes it: data[start:end], one JSON value.
type span struct {
	start, end int
	what       holeKind
}

// emptied is a shape that has learnt nothing, with sh's arrays (emptied)
// to learn into: a stream's, handed to the next stream (streamBuffers).
func (sh *shape) emptied() shape {
	return shape{lit: sh.lit[:0], holes: sh.holes[:0], spans: sh.spans[:0], src: sh.src[:0], learnt: sh.learnt[:0], matched: sh.matched[:0]}
}

// learn keeps data, which the scanner decoded to ev, its holes at spans
// (in order, apart).
func (sh *shape) learn(data []byte, spans []span, ev Event) {
	if cap(sh.src) < len(data) { // as in build
		sh.src = make([]byte, 0, len(data)+len(data)/2)
	}
	if cap(sh.learnt) < len(spans) {
		sh.learnt = make([]span, 0, cap(spans))
		sh.matched = make([]span, 0, cap(spans))
	}
	sh.src = append(sh.src[:0], data...)
	sh.learnt = append(sh.learnt[:0], spans...)
	sh.build(data, spans, ev)
	sh.tight = false
}

// build makes the shape of data, decoded to ev, with holes at spans.
func (sh *shape) build(data []byte, spans []span, ev Event) {
	// Sized once, with room for the events that follow to grow a little:
	// appending from empty would cost several allocations a stream.
	if cap(sh.lit) < len(data) {
		sh.lit = make([]byte, 0, len(data)+len(data)/2)
	}
	if cap(sh.holes) < len(spans) {
		sh.holes = make([]hole, 0, cap(spans))
	}
	sh.lit, sh.holes = sh.lit[:0], sh.holes[:0]
	prev := 0
	for _, s := range spans {
		sh.lit = append(sh.lit, data[prev:s.start]...)
		sh.holes = append(sh.holes, hole{at: len(sh.lit), what: s.what})
		prev = s.end
	}
	sh.lit = append(sh.lit, data[prev:]...)
	ev.Content, ev.ResponseID = "", "" // holes: each match sets them
	sh.ev, sh.valid = ev, true
}

// tighten remakes the shape from data, the first event to match it after
// it was learnt (decoded to ev, its holes at spans), with the numbers
// nobody reads that kept their learnt value left in the literal: of a 2026
// event's ten holes, characters and the input's text_tokens never change
// in an answer. Should one change later, the
// event fails to match and the scanner learns again. Token counts and
// strings stay holes whatever their values: a value fixed in ev would no
// longer be overridden, in the scanner's order, by a repeat of its key in
// a hole before it.
func (sh *shape) tighten(data []byte, spans []span, ev Event) {
	sh.tight = true
	if len(spans) != len(sh.learnt) {
		return // cannot be: the same holes were read
	}
	kept := spans[:0]
	for i, s := range spans {
		l := sh.learnt[i]
		if s.what == holeNumber && string(data[s.start:s.end]) == string(sh.src[l.start:l.end]) {
			continue
		}
		kept = append(kept, s)
	}
	if len(kept) < len(spans) {
		sh.build(data, kept, ev)
	}
}

// match decodes data if it has the shape, as decodeDelta would.
func (sh *shape) match(data []byte, lastResponseID string, contents *strings.Builder) (Event, bool) {
	if !sh.valid {
		return Event{}, false
	}
	ev := sh.ev
	p := scanner{b: data, contents: contents}
	spans := sh.matched[:0] // noted only until the shape is tightened
	from := 0               // sh.lit[from:] is yet to match
	for _, h := range sh.holes {
		if !bytes.HasPrefix(data[p.i:], sh.lit[from:h.at]) {
			return Event{}, false
		}
		p.i += h.at - from
		from = h.at
		start := p.i
		var ok bool
		switch h.what {
		case holeContent:
			ev.Content, ok = p.content()
		case holeResponseID:
			if n := sh.sameID(data[p.i:], lastResponseID); n > 0 {
				ev.ResponseID, p.i, ok = lastResponseID, p.i+n, true
				break
			}
			raw, kind, rok := p.rawString()
			ev.ResponseID, ok = responseID(raw, kind, rok, lastResponseID)
		case holeInputTokens:
			ok = p.int(&ev.Usage.InputTokens, 0)
		case holeOutputTokens:
			ok = p.int(&ev.Usage.OutputTokens, 0)
		case holeTotalTokens:
			ok = p.int(&ev.Usage.TotalTokens, 0)
		case holeReasoningTokens:
			ok = p.int(&ev.Usage.OutputTokensDetails.ReasoningTokens, 0)
		case holeCachedTokens:
			ok = p.int(&ev.Usage.CachedTokens, 0)
		case holePromptCachedTokens:
			ok = p.int(&ev.Usage.PromptTokensDetails.CachedTokens, 0)
		case holeNumber:
			ok = p.number()
		}
		if !ok {
			return Event{}, false
		}
		if !sh.tight {
			spans = append(spans, span{start: start, end: p.i, what: h.what})
		}
	}
	if !bytes.Equal(data[p.i:], sh.lit[from:]) {
		return Event{}, false
	}
	if !sh.tight {
		sh.matched = spans
		sh.tighten(data, spans, ev)
	}
	return ev, true
}
