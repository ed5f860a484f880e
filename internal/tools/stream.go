package tools

import "strings"

// Filter finds calls in a streamed answer. Text is released as soon as it
// cannot be the start of a call; from a possible opening tag on it is held
// until the block closes, then becomes a call or, on a false alarm, text
// again. Markup the model quotes (see Parse) is text from the start.
type Filter struct {
	set     *Set
	quote   *quoteState // the context of the text released so far
	pending string      // held text
	inBlock bool
	open    string
	close   string
}

// NewFilter returns a filter for set's tools.
func (s *Set) NewFilter() *Filter { return &Filter{set: s, quote: newQuoteState()} }

// Feed takes the next piece of answer text and returns the text that can be
// forwarded now and any calls completed by it.
func (f *Filter) Feed(delta string) (string, []Call) {
	f.pending += delta
	var text strings.Builder
	var calls []Call
	for {
		if f.inBlock {
			end := strings.Index(f.pending[len(f.open):], f.close)
			if end < 0 {
				return text.String(), calls
			}
			blockEnd := len(f.open) + end + len(f.close)
			if call, ok := f.set.parseBlock(f.pending[:blockEnd], f.open, f.close); ok {
				calls = append(calls, call)
			} else {
				text.WriteString(f.pending[:blockEnd])
				f.quote.feed(f.pending[:blockEnd])
			}
			f.pending, f.inBlock = f.pending[blockEnd:], false
			continue
		}
		start, open, close := f.set.nextOpening(f.pending)
		if start >= 0 {
			text.WriteString(f.pending[:start])
			f.quote.feed(f.pending[:start])
			if f.quote.quoted() {
				text.WriteString(open)
				f.quote.feed(open)
				f.pending = f.pending[start+len(open):]
				continue
			}
			f.pending, f.inBlock, f.open, f.close = f.pending[start:], true, open, close
			continue
		}
		keep := f.partialOpening()
		text.WriteString(f.pending[:len(f.pending)-keep])
		f.quote.feed(f.pending[:len(f.pending)-keep])
		f.pending = f.pending[len(f.pending)-keep:]
		return text.String(), calls
	}
}

// partialOpening is the length of the longest suffix of the held text that
// could still grow into an opening tag.
func (f *Filter) partialOpening() int {
	i := strings.LastIndexByte(f.pending, '<')
	if i < 0 {
		return 0
	}
	tail := f.pending[i:]
	if strings.HasPrefix(openTag, tail) {
		return len(tail)
	}
	for _, t := range f.set.Tools {
		if strings.HasPrefix("<"+t.Name+">", tail) {
			return len(tail)
		}
	}
	return 0
}

// Flush ends the answer: an unclosed block is parsed as far as it goes, and
// whatever is still held is released as text.
func (f *Filter) Flush() (string, []Call) {
	rest := f.pending
	f.pending = ""
	if f.inBlock {
		f.inBlock = false
		if call, ok := f.set.parseBlock(rest, f.open, f.close); ok {
			return "", []Call{call}
		}
	}
	return rest, nil
}
