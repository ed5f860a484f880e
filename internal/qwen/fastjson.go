package qwen

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"qwenproxy/internal/jsonscan"
)

// decodeDelta reads the common stream event — {"choices":[{"delta":{…}}],
// "usage":{…}} — without encoding/json, which costs most of the per-event
// work of a streamed answer (hundreds of events per answer). It reports
// false for any other shape (created, keep-alive, errors, thinking
// summaries), which the general decoder then handles.
//
// lastResponseID is the response id of the stream's previous event: every
// event of an answer repeats it, so when this one's is the same, that string
// is reused instead of a new one made per event.
//
// With learn, an event read is kept there as the shape of those that follow
// (see shape); when the event is not read, learn keeps the shape it had.
// With contents, the event's content is kept there (see scanner.content).
func decodeDelta(data []byte, lastResponseID string, learn *shape, contents *strings.Builder) (Event, bool) {
	p := scanner{b: data, contents: contents}
	if learn != nil {
		if learn.spans == nil {
			learn.spans = make([]span, 0, 16) // a 2026 event has 10 holes
		}
		p.learn, p.spans = true, learn.spans[:0]
	}
	ev := Event{Kind: EventDelta, Phase: PhaseAnswer}
	sawChoices := false
	ok := p.object(func(key []byte, _ strKind) bool {
		switch string(key) {
		case "choices":
			sawChoices = true
			return p.firstOfArray(func() bool { return p.choice(&ev) })
		case "usage":
			ev.HasUsage = true
			return p.usage(&ev.Usage)
		case "response_id":
			p.ws()
			start := p.i
			raw, kind, ok := p.rawString()
			ev.ResponseID, ok = responseID(raw, kind, ok, lastResponseID)
			p.mark(start, holeResponseID)
			return ok
		case "timestamp":
			return p.skip()
		}
		return false // anything else: not the common shape
	})
	if !ok || !sawChoices || !p.end() {
		return Event{}, false
	}
	if learn != nil {
		learn.spans = p.spans
		learn.learn(data, p.spans, ev)
	}
	return ev, true
}

// decodeCreated reads the event that opens an answer,
// {"response.created":{"chat_id":…,"parent_id":…,"response_id":…,
// "response_index":…}}, once a call, without encoding/json (which costs as
// much as some twenty deltas read by shape). Any other key, or a value
// other than a string, is left to encoding/json.
func decodeCreated(data []byte) (Created, bool) {
	p := scanner{b: data}
	var c Created
	saw := false
	ok := p.object(func(key []byte, _ strKind) bool {
		if string(key) != "response.created" {
			return false
		}
		saw = true
		// A repeated key fills the same Created, as encoding/json
		// fills the one its pointer already points to.
		return p.object(func(key []byte, _ strKind) bool {
			var dst *string
			switch string(key) {
			case "chat_id":
				dst = &c.ChatID
			case "parent_id":
				dst = &c.ParentID
			case "response_id":
				dst = &c.ResponseID
			case "response_index":
				dst = &c.ResponseIndex
			default:
				return false // unknown, or another case of a known one
			}
			var ok bool
			*dst, ok = p.str()
			return ok
		})
	})
	return c, ok && saw && p.end()
}

// decodeNewChat reads a successful answer to chats/new —
// {"success":true,"request_id":…,"data":{"id":…}} — without encoding/json
// and its reflection, on the path to every new conversation's first token.
// It reports false for anything else (another key, a failure, a value of
// another type), which the envelope decoder then reads.
func decodeNewChat(b []byte) (chatID string, ok bool) {
	p := scanner{b: b}
	success := false
	ok = p.object(func(key []byte, _ strKind) bool {
		switch string(key) {
		case "success":
			p.ws()
			success = bytes.HasPrefix(p.b[p.i:], []byte("true"))
			if success {
				p.i += len("true")
			}
			return success
		case "request_id":
			return p.checkStr()
		case "data":
			// A repeated key fills the same fields, as encoding/json does.
			return p.object(func(key []byte, _ strKind) bool {
				if string(key) != "id" {
					return false
				}
				var ok bool
				chatID, ok = p.str()
				return ok
			})
		}
		return false
	})
	return chatID, ok && success && chatID != "" && p.end()
}

// responseID reads a response id: lastResponseID when it is the same, so
// that the string the previous event made serves again.
func responseID(raw []byte, kind strKind, ok bool, lastResponseID string) (string, bool) {
	if ok && kind == 0 && lastResponseID != "" && string(raw) == lastResponseID {
		return lastResponseID, true
	}
	return strOf(raw, kind, ok)
}

// scanner is a minimal JSON reader over one event.
type scanner struct {
	b []byte
	i int
	// With learn, the scanner notes in spans where the event's holes are
	// (see shape).
	learn bool
	spans []span
	// contents, when set, keeps the contents read (see content).
	contents *strings.Builder
}

// mark notes a hole from start to here, what is read in it being what.
func (p *scanner) mark(start int, what holeKind) {
	if p.learn {
		p.spans = append(p.spans, span{start: start, end: p.i, what: what})
	}
}

func (p *scanner) ws() {
	// Every byte that is not whitespace and may follow it in JSON is above
	// ' ': one comparison settles the common case. The loops of the scanner
	// work on locals: through p, every byte would cost a load and a store
	// of p.i.
	b, i := p.b, p.i
	for i < len(b) {
		if c := b[i]; c > ' ' || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			break
		}
		i++
	}
	p.i = i
}

func (p *scanner) end() bool { p.ws(); return p.i == len(p.b) }

func (p *scanner) consume(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object calls field for each key, positioned at its value.
func (p *scanner) object(field func(key []byte, kind strKind) bool) bool {
	if !p.consume('{') {
		return false
	}
	if p.consume('}') {
		return true
	}
	for {
		key, kind, ok := p.rawString()
		if !ok || !p.consume(':') || !field(key, kind) {
			return false
		}
		if p.consume(',') {
			continue
		}
		return p.consume('}')
	}
}

// firstOfArray reads the first element with first and skips the rest.
func (p *scanner) firstOfArray(first func() bool) bool {
	if !p.consume('[') || p.consume(']') {
		return false
	}
	if !first() {
		return false
	}
	for p.consume(',') {
		if !p.skip() {
			return false
		}
	}
	return p.consume(']')
}

func (p *scanner) choice(ev *Event) bool {
	return p.object(func(key []byte, _ strKind) bool {
		if string(key) != "delta" {
			return false
		}
		return p.object(func(key []byte, _ strKind) bool {
			var s string
			var ok bool
			var b []byte
			switch string(key) {
			case "content":
				p.ws()
				start := p.i
				s, ok = p.content()
				ev.Content = s
				p.mark(start, holeContent)
			case "phase":
				// The last phase counts, an empty one too (encoding/json
				// reads the last; an empty phase is the answer's).
				b, ok = p.strBytes()
				ev.Phase = phase(b)
			case "status":
				// A failure's delta (statusError) is the general
				// decoder's to read.
				b, ok = p.strBytes()
				ev.Finished = string(b) == "finished"
				ok = ok && string(b) != statusError
			case "role":
				// A function frame (Qwen's own tool's result) is no
				// answer: the general decoder tells it apart.
				b, ok = p.strBytes()
				ok = ok && string(b) != roleFunction
			default:
				return false // extra, function_call, …: the general decoder
			}
			return ok
		})
	})
}

func (p *scanner) usage(u *Usage) bool {
	return p.object(func(key []byte, kind strKind) bool {
		switch string(key) {
		case "input_tokens":
			return p.int(&u.InputTokens, holeInputTokens)
		case "output_tokens":
			return p.int(&u.OutputTokens, holeOutputTokens)
		case "total_tokens":
			return p.int(&u.TotalTokens, holeTotalTokens)
		case "output_tokens_details":
			return p.outputDetails(&u.OutputTokensDetails)
		case "cached_tokens":
			return p.int(&u.CachedTokens, holeCachedTokens)
		case "prompt_tokens_details":
			return p.promptDetails(&u.PromptTokensDetails)
		}
		if kind&escaped != 0 {
			return false // it may unescape to a known key: the general decoder
		}
		// An ASCII key can fold to a known one only at its length; most of
		// usage's keys (characters, *_details) are ASCII and of other
		// lengths, and need no case-folding comparison on every event.
		if n := len(key); n == len("input_tokens") || n == len("output_tokens") || n == len("output_tokens_details") || kind != 0 {
			for _, known := range []string{"input_tokens", "output_tokens", "total_tokens", "output_tokens_details", "cached_tokens", "prompt_tokens_details"} {
				if strings.EqualFold(string(key), known) {
					return false // encoding/json would match it: leave it to the general decoder
				}
			}
		}
		return p.skip()
	})
}

// outputDetails reads usage's output_tokens_details for its
// reasoning_tokens; anything but an object (null too) goes to the general
// decoder.
func (p *scanner) outputDetails(d *OutputTokensDetails) bool {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return false
	}
	return p.object(func(key []byte, kind strKind) bool {
		if string(key) == "reasoning_tokens" {
			return p.int(&d.ReasoningTokens, holeReasoningTokens)
		}
		if kind&escaped != 0 {
			return false // it may unescape to reasoning_tokens: the general decoder
		}
		if len(key) == len("reasoning_tokens") || kind != 0 {
			if strings.EqualFold(string(key), "reasoning_tokens") {
				return false // encoding/json would match it: the general decoder
			}
		}
		return p.skip()
	})
}

// promptDetails reads usage's prompt_tokens_details for its cached_tokens,
// as outputDetails reads output_tokens_details.
func (p *scanner) promptDetails(d *PromptTokensDetails) bool {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return false
	}
	return p.object(func(key []byte, kind strKind) bool {
		if string(key) == "cached_tokens" {
			return p.int(&d.CachedTokens, holePromptCachedTokens)
		}
		if kind&escaped != 0 {
			return false // it may unescape to cached_tokens: the general decoder
		}
		if len(key) == len("cached_tokens") || kind != 0 {
			if strings.EqualFold(string(key), "cached_tokens") {
				return false // encoding/json would match it: the general decoder
			}
		}
		return p.skip()
	})
}

func (p *scanner) int(dst *int, what holeKind) bool {
	p.ws()
	b, i := p.b, p.i
	start := i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	first, n := i, 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if n > (1<<62)/10 {
			return false
		}
		n = n*10 + int(b[i]-'0')
		i++
	}
	// Only plain integers: encoding/json refuses fractions and exponents
	// for an int field, and so does this. A leading zero is not JSON (where
	// number would stop after the zero, the object or shape around it
	// would refuse the digits that follow).
	if i == first || b[first] == '0' && i > first+1 || i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return false
	}
	if neg {
		n = -n
	}
	p.i, *dst = i, n
	p.mark(start, what)
	return true
}

// number passes over a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *scanner) number() bool {
	b, i := p.b, p.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		if j := digits(b, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if j := digits(b, i); j > i {
			i = j
		} else {
			return false
		}
	}
	p.i = i
	return true
}

// digits returns where the run of digits at b[i:] ends.
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// strKind tells what a string's body holds beyond plain ASCII, so that its
// readers unescape or check UTF-8 only when there is a need.
type strKind uint8

const (
	escaped  strKind = 1 << iota // a backslash escape
	nonASCII                     // a byte of 0x80 or above
)

// rawString returns a string's bytes without unescaping (for keys), having
// checked its escapes and that it holds no control characters.
func (p *scanner) rawString() ([]byte, strKind, bool) {
	if !p.consume('"') {
		return nil, 0, false
	}
	b, start := p.b, p.i
	i := start
	var high byte // the bits of every plain byte: bit 7 set for non-ASCII
	var kind strKind
	for {
		// Most of a string's bytes need no look: pass over them first,
		// eight at a time while none of the eight does (a content's word,
		// a response id: ~9 instructions a byte one at a time, ~2 so).
		var words uint64 // the bits of every word passed
		for i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			if needsLook(w) {
				break
			}
			words |= w
			i += 8
		}
		if words&highBits != 0 {
			high |= utf8.RuneSelf
		}
		for i < len(b) && plainInString[b[i]] {
			high |= b[i]
			i++
		}
		if i >= len(b) {
			return nil, 0, false
		}
		switch b[i] {
		case '"':
			p.i = i + 1
			if high >= utf8.RuneSelf {
				kind |= nonASCII
			}
			return b[start:i], kind, true
		case '\\':
			kind |= escaped
			if i+1 >= len(b) {
				return nil, 0, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if !jsonscan.IsHex4(b[i+2:]) {
					return nil, 0, false
				}
				i += 6
			default:
				return nil, 0, false
			}
		default: // a control character
			return nil, 0, false
		}
	}
}

// needsLook reports whether any of the eight bytes of w is one a JSON
// string may not hold as it is (see plainInString): a quote, a backslash or
// a control character. Each test is exact for "any byte" (the borrows that
// make the classic zero-byte test inexact only reach bytes above one that
// matched).
func needsLook(w uint64) bool {
	const ones = 0x0101010101010101
	quote, backslash := w^(ones*'"'), w^(ones*'\\')
	return ((quote-ones)&^quote|(backslash-ones)&^backslash|(w-ones*0x20)&^w)&highBits != 0
}

// highBits is the top bit of each byte of a word.
const highBits = 0x8080808080808080

// plainInString marks the bytes a JSON string may hold as they are: all but
// the quote, the backslash and control characters.
var plainInString = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strBytes reads a string value as bytes, unescaped, without allocating
// when it has no escapes (the common case: role, phase, status, ids).
func (p *scanner) strBytes() ([]byte, bool) {
	raw, kind, ok := p.rawString()
	switch {
	case !ok:
		return nil, false
	case kind&escaped != 0:
		s, ok := jsonscan.Unescape(raw)
		return []byte(s), ok
	case kind&nonASCII != 0 && !utf8.Valid(raw):
		return nil, false
	}
	return raw, true
}

// phase is a phase's name, the known ones without allocating; no name is
// the answer's.
func phase(b []byte) string {
	if len(b) == 0 {
		return PhaseAnswer
	}
	for _, known := range []string{PhaseAnswer, PhaseThink, PhaseThinkingSummary} {
		if string(b) == known {
			return known
		}
	}
	return string(b)
}

// str reads a string value, unescaping it.
func (p *scanner) str() (string, bool) { return strOf(p.rawString()) }

// checkStr reads a string value nobody keeps (chats/new's request_id): it
// refuses what str refuses, without making the string str would (an
// allocation a new chat).
func (p *scanner) checkStr() bool {
	raw, kind, ok := p.rawString()
	switch {
	case !ok:
		return false
	case kind&escaped != 0:
		_, ok = jsonscan.Unescape(raw)
		return ok
	case kind&nonASCII != 0:
		return utf8.Valid(raw)
	}
	return true
}

// contentsFirst and contentsChunk are the sizes of the buffers an answer's
// deltas are kept in (scanner.content): the first is contentsFirst, each
// next twice the last, up to contentsChunk, so that an ordinary answer's
// text takes about its own size (the recorded answer's 823 deltas, a few
// KiB) and a long one buffers of 16 KiB. Until 2026-12-07 (later that
// day) the first was contentsChunk: 16 KiB more allocated by every call.
const (
	contentsFirst = 1 << 10
	contentsChunk = 16 << 10
)

// content reads a delta's content as str does. With p.contents, it is kept
// there and the string returned is a slice of it: an answer's hundreds of
// deltas then cost a few allocations, not one each. That is safe because a
// strings.Builder only appends, so no string given out ever changes. A
// delta the buffer has no room for starts a new one (twice the last, up to
// contentsChunk, or the delta's size) rather than grow it: growing copied every delta before
// it, so the buffer held the answer's whole text — a copy beside the
// answer's own and the client's — and, growing by a quarter at a time,
// allocated five times it (a 64 MiB answer in large events). A buffer left
// is freed once no string given out refers to it.
func (p *scanner) content() (string, bool) {
	raw, kind, ok := p.rawString()
	if p.contents == nil || !ok {
		return strOf(raw, kind, ok)
	}
	if last := p.contents.Cap(); last-p.contents.Len() < len(raw) { // unescaped, a content is never longer than raw
		p.contents.Reset()
		p.contents.Grow(max(len(raw), min(contentsChunk, max(contentsFirst, 2*last))))
	}
	start := p.contents.Len()
	switch {
	case kind&escaped != 0:
		ok = jsonscan.UnescapeTo(p.contents, raw)
	case kind&nonASCII != 0 && !utf8.Valid(raw):
		ok = false
	default:
		p.contents.Write(raw)
	}
	if !ok {
		return "", false
	}
	return p.contents.String()[start:], true
}

// strOf is the value of a string rawString read.
func strOf(raw []byte, kind strKind, ok bool) (string, bool) {
	switch {
	case !ok:
		return "", false
	case kind&escaped != 0:
		return jsonscan.Unescape(raw)
	case kind&nonASCII != 0 && !utf8.Valid(raw):
		return "", false
	}
	return string(raw), true
}

// skip passes over one well-formed value of any kind.
func (p *scanner) skip() bool {
	p.ws()
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		// A value nobody reads needs only be well-formed: encoding/json
		// takes invalid UTF-8 in it too.
		_, _, ok := p.rawString()
		return ok
	case c == '{':
		return p.object(func([]byte, strKind) bool { return p.skip() })
	case c == '[':
		p.i++
		if p.consume(']') {
			return true
		}
		for {
			if !p.skip() {
				return false
			}
			if p.consume(',') {
				continue
			}
			return p.consume(']')
		}
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		ok := p.number()
		p.mark(start, holeNumber)
		return ok
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(p.b[p.i:min(p.i+5, len(p.b))]), lit) {
				p.i += len(lit)
				return true
			}
		}
		return false
	}
}
