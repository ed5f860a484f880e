package qwen

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
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
func decodeDelta(data []byte, lastResponseID string) (Event, bool) {
	p := scanner{b: data}
	ev := Event{Kind: EventDelta, Phase: PhaseAnswer}
	sawChoices := false
	ok := p.object(func(key []byte) bool {
		switch string(key) {
		case "choices":
			sawChoices = true
			return p.firstOfArray(func() bool { return p.choice(&ev) })
		case "usage":
			ev.HasUsage = true
			return p.usage(&ev.Usage)
		case "response_id":
			start := p.i
			if raw, ok := p.rawString(); ok && lastResponseID != "" && string(raw) == lastResponseID &&
				bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
				ev.ResponseID = lastResponseID
				return true
			}
			p.i = start
			var ok bool
			ev.ResponseID, ok = p.str()
			return ok
		case "timestamp":
			return p.skip()
		}
		return false // anything else: not the common shape
	})
	return ev, ok && sawChoices && p.end()
}

// scanner is a minimal JSON reader over one event.
type scanner struct {
	b []byte
	i int
}

func (p *scanner) ws() {
	// Every byte that is not whitespace and may follow it in JSON is above
	// ' ': one comparison settles the common case.
	for p.i < len(p.b) {
		if c := p.b[p.i]; c > ' ' || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return
		}
		p.i++
	}
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
func (p *scanner) object(field func(key []byte) bool) bool {
	if !p.consume('{') {
		return false
	}
	if p.consume('}') {
		return true
	}
	for {
		key, ok := p.rawString()
		if !ok || !p.consume(':') || !field(key) {
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
	return p.object(func(key []byte) bool {
		if string(key) != "delta" {
			return false
		}
		return p.object(func(key []byte) bool {
			var s string
			var ok bool
			var b []byte
			switch string(key) {
			case "content":
				s, ok = p.str()
				ev.Content = s
			case "phase":
				if b, ok = p.strBytes(); len(b) > 0 {
					ev.Phase = phase(b)
				}
			case "status":
				b, ok = p.strBytes()
				ev.Finished = string(b) == "finished"
			case "role":
				_, ok = p.strBytes()
			default:
				return false // extra, function_call, …: the general decoder
			}
			return ok
		})
	})
}

func (p *scanner) usage(u *Usage) bool {
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "input_tokens":
			return p.int(&u.InputTokens)
		case "output_tokens":
			return p.int(&u.OutputTokens)
		case "total_tokens":
			return p.int(&u.TotalTokens)
		}
		// An ASCII key can fold to a known one only at its length; most of
		// usage's keys (characters, *_details) are ASCII and of other
		// lengths, and need no case-folding comparison on every event.
		if n := len(key); n == len("input_tokens") || n == len("output_tokens") || !ascii(key) {
			for _, known := range []string{"input_tokens", "output_tokens", "total_tokens"} {
				if strings.EqualFold(string(key), known) {
					return false // encoding/json would match it: leave it to the general decoder
				}
			}
		}
		return p.skip()
	})
}

func (p *scanner) int(dst *int) bool {
	p.ws()
	start := p.i
	if !p.number() {
		return false
	}
	// Only plain integers: encoding/json refuses fractions and exponents
	// for an int field, and so does this.
	n, neg := 0, false
	for _, c := range p.b[start:p.i] {
		switch {
		case c == '-':
			neg = true
		case c >= '0' && c <= '9':
			if n > (1<<62)/10 {
				return false
			}
			n = n*10 + int(c-'0')
		default:
			return false
		}
	}
	if neg {
		n = -n
	}
	*dst = n
	return true
}

// number passes over a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *scanner) number() bool {
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// rawString returns a string's bytes without unescaping (for keys), having
// checked its escapes and that it holds no control characters.
func (p *scanner) rawString() ([]byte, bool) {
	if !p.consume('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		// Most of a string's bytes need no look: pass over them first.
		for p.i < len(p.b) && plainInString[p.b[p.i]] {
			p.i++
		}
		if p.i == len(p.b) {
			break
		}
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c == '\\':
			if p.i+1 >= len(p.b) {
				return nil, false
			}
			switch p.b[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if _, n := hex4(p.b[p.i+2:]); n == 0 {
					return nil, false
				}
				p.i += 6
			default:
				return nil, false
			}
		case c < 0x20:
			return nil, false
		default:
			p.i++
		}
	}
	return nil, false
}

// plainInString marks the bytes a JSON string may hold as they are: all but
// the quote, the backslash and control characters.
var plainInString = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// ascii reports whether b is all ASCII.
func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// strBytes reads a string value as bytes, unescaped, without allocating
// when it has no escapes (the common case: role, phase, status, ids).
func (p *scanner) strBytes() ([]byte, bool) {
	raw, ok := p.rawString()
	if !ok {
		return nil, false
	}
	if bytes.IndexByte(raw, '\\') >= 0 {
		s, ok := unescape(raw)
		return []byte(s), ok
	}
	if !utf8.Valid(raw) {
		return nil, false
	}
	return raw, true
}

// phase is a phase's name, the known ones without allocating.
func phase(b []byte) string {
	for _, known := range []string{PhaseAnswer, PhaseThink, PhaseThinkingSummary} {
		if string(b) == known {
			return known
		}
	}
	return string(b)
}

// str reads a string value, unescaping it.
func (p *scanner) str() (string, bool) {
	raw, ok := p.rawString()
	if !ok {
		return "", false
	}
	for _, c := range raw {
		if c == '\\' {
			return unescape(raw)
		}
	}
	if !utf8.Valid(raw) {
		return "", false
	}
	return string(raw), true
}

// unescape decodes an escaped JSON string body. Invalid UTF-8 is left to
// encoding/json (it puts U+FFFD in its place), as str does for an unescaped
// one; escapes themselves are ASCII, so checking raw is enough.
func unescape(raw []byte) (string, bool) {
	if !utf8.Valid(raw) {
		return "", false
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			return "", false
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			r, n := hex4(raw[i+1:])
			if n == 0 {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, n2 := rune(0), 0
				if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					r2, n2 = hex4(raw[i+3:])
				}
				if n2 == 0 {
					r = utf8.RuneError
				} else {
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return string(out), true
}

func hex4(b []byte) (rune, int) {
	if len(b) < 4 {
		return 0, 0
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 32)
	if err != nil {
		return 0, 0
	}
	return rune(v), 4
}

// skip passes over one well-formed value of any kind.
func (p *scanner) skip() bool {
	p.ws()
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, ok := p.strBytes()
		return ok
	case c == '{':
		return p.object(func([]byte) bool { return p.skip() })
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
		return p.number()
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
