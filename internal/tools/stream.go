package tools

import (
	"strings"
	"unicode"
)

// EventKind says what a streamed answer yielded.
type EventKind int

const (
	// EventText is answer text (Event.Text).
	EventText EventKind = iota
	// EventCallStart: a block has been confirmed a call (the JSON form,
	// naming a declared tool, outside quotation); Event.Call has its ID and
	// Name, its arguments follow.
	EventCallStart
	// EventCallArguments is the next piece of the started call's arguments
	// (Event.Text): the pieces add up to one JSON object.
	EventCallArguments
	// EventCall is a complete call (Event.Call), with its arguments parsed
	// and re-encoded; a started call ends with it, under the same ID.
	EventCall
)

// Event is one thing a streamed answer yields, in order.
type Event struct {
	Kind EventKind
	Text string
	Call Call
}

// maxCallHead is how much of a block is read looking for its head (name,
// then the arguments' opening brace) before it is left to be read whole.
const maxCallHead = 512

// Filter finds calls in a streamed answer. Text is released as soon as it
// cannot be the start of a call; from a possible opening tag on it is held
// until the block closes, then becomes a call or, on a false alarm, text
// again. A block in the JSON form is announced as soon as its head names a
// declared tool, and its arguments stream as they arrive. Markup the model
// quotes (see Parse) is text from the start.
type Filter struct {
	set     *Set
	quote   *quoteState // the context of the text released so far
	pending string      // held text
	inBlock bool
	open    string
	close   string
	scan    stringScan // the block's JSON strings, for its closing tag

	// The started call of the block being read, if any.
	call     *Call
	args     *argStream
	fed      int    // bytes of pending the arguments were read from
	streamed string // the arguments sent so far
	headless bool   // the block's head did not name a call: read it whole

	// held is the whitespace at the end of the text released so far, kept
	// back until text follows it: whitespace before a call and after the
	// last one goes, as Parse trims it from an answer with calls (the
	// streamed answer ended "…the file.\n\n" where the whole one ended
	// "…the file."). sawCall says whether the answer has a call, released
	// whether any text went out: until then, whitespace after a call goes
	// too.
	held     string
	sawCall  bool
	released bool
}

// NewFilter returns a filter for set's tools.
func (s *Set) NewFilter() *Filter { return &Filter{set: s, quote: newQuoteState()} }

// Feed takes the next piece of answer text and returns the text that can be
// forwarded now and any calls completed by it (started calls are reported
// only when complete).
func (f *Filter) Feed(delta string) (string, []Call) { return collapse(f.FeedEvents(delta)) }

// Flush ends the answer as FlushEvents does, collapsed as Feed.
func (f *Filter) Flush() (string, []Call) { return collapse(f.FlushEvents()) }

func collapse(events []Event) (string, []Call) {
	var text strings.Builder
	var calls []Call
	for _, ev := range events {
		switch ev.Kind {
		case EventText:
			text.WriteString(ev.Text)
		case EventCall:
			calls = append(calls, ev.Call)
		}
	}
	return text.String(), calls
}

// FeedEvents takes the next piece of answer text and returns what it yields,
// in order.
func (f *Filter) FeedEvents(delta string) []Event {
	f.pending += delta
	var out events
	for {
		if f.inBlock {
			f.streamCall(&out)
			end, final := f.set.closeAt(f.pending[len(f.open):], f.open, f.close, &f.scan)
			if !final {
				return out
			}
			f.closeBlock(&out, len(f.open)+end+len(f.close))
			continue
		}
		start, open, close := f.set.nextOpening(f.pending)
		if start >= 0 {
			f.text(&out, f.pending[:start])
			f.quote.feed(f.pending[:start])
			if f.quote.quoted() {
				f.text(&out, open)
				f.quote.feed(open)
				f.pending = f.pending[start+len(open):]
				continue
			}
			f.pending, f.inBlock, f.open, f.close, f.scan = f.pending[start:], true, open, close, stringScan{}
			continue
		}
		keep := f.partialOpening()
		f.text(&out, f.pending[:len(f.pending)-keep])
		f.quote.feed(f.pending[:len(f.pending)-keep])
		f.pending = f.pending[len(f.pending)-keep:]
		return out
	}
}

// closeBlock ends the block held in pending at blockEnd.
func (f *Filter) closeBlock(out *events, blockEnd int) {
	f.endBlock(out, f.pending[:blockEnd])
	f.pending, f.inBlock = f.pending[blockEnd:], false
}

// streamCall announces the block's call once its head has arrived, then
// passes on the arguments that arrived since.
func (f *Filter) streamCall(out *events) {
	if f.call == nil {
		if f.open != openTag || f.headless {
			return
		}
		inner := f.pending[len(f.open):]
		m := callHead.FindStringSubmatchIndex(inner)
		if m == nil {
			f.headless = len(inner) > maxCallHead
			return
		}
		name := inner[m[2]:m[3]]
		if _, ok := f.set.Lookup(name); !ok {
			f.headless = true
			return
		}
		f.call, f.args, f.fed = &Call{ID: newCallID(), Name: name}, &argStream{}, len(f.open)+m[1]-1
		f.sawCall = true
		*out = append(*out, Event{Kind: EventCallStart, Call: *f.call})
	}
	if f.fed < len(f.pending) {
		f.arguments(out, f.args.feed(f.pending[f.fed:]))
		f.fed = len(f.pending)
	}
}

func (f *Filter) arguments(out *events, piece string) {
	if piece != "" {
		f.streamed += piece
		*out = append(*out, Event{Kind: EventCallArguments, Text: piece, Call: Call{ID: f.call.ID, Name: f.call.Name}})
	}
}

// endBlock reads a whole block: a call, or text after all. A started call
// always ends as a call: the client has it.
func (f *Filter) endBlock(out *events, block string) {
	call, ok := f.set.parseBlock(block, f.open, f.close)
	if started := f.call; started != nil {
		f.arguments(out, f.args.close())
		final := *started
		final.Arguments = f.streamed
		if ok {
			final.Arguments, final.Custom = call.Arguments, call.Custom
		} else {
			tool, _ := f.set.Lookup(final.Name)
			final = asCustom(final, tool)
		}
		*out = append(*out, Event{Kind: EventCall, Call: final})
	} else if ok {
		f.sawCall = true
		*out = append(*out, Event{Kind: EventCall, Call: call})
	} else {
		f.text(out, block)
		f.quote.feed(block)
	}
	f.call, f.args, f.fed, f.streamed, f.headless = nil, nil, 0, "", false
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
	for _, tag := range f.set.xmlTags() {
		if strings.HasPrefix(tag.open, tail) {
			return len(tail)
		}
	}
	return 0
}

// FlushEvents ends the answer: an unclosed block is parsed as far as it
// goes, and whatever is still held is released as text.
func (f *Filter) FlushEvents() []Event {
	var out events
	if f.inBlock {
		// A block whose closing tags all stood inside strings of its
		// broken JSON ends at its first, as Parse ends it; what follows
		// is read as any answer text.
		if end := strings.Index(f.pending[len(f.open):], f.close); end >= 0 {
			f.closeBlock(&out, len(f.open)+end+len(f.close))
			for _, ev := range append(f.FeedEvents(""), f.FlushEvents()...) {
				if ev.Kind == EventText {
					out.text(ev.Text)
				} else {
					out = append(out, ev)
				}
			}
			return out
		}
	}
	rest := f.pending
	f.pending = ""
	if f.inBlock {
		f.inBlock = false
		if f.call != nil {
			f.endBlock(&out, rest)
			return out
		}
		if call, ok := f.set.parseBlock(rest, f.open, f.close); ok {
			return append(out, Event{Kind: EventCall, Call: call})
		}
	}
	f.text(&out, rest)
	if !f.sawCall {
		out.text(f.held) // an answer without calls keeps its whitespace, as Parse does
	}
	f.held = ""
	return out
}

// CutEvents ends an answer cut short (it reached the client's limit of
// output tokens): what is held can only be the start of a call, a block or
// a possible opening tag, and goes — markup is not text the model meant —
// except a started call, which the client has begun to get: it ends as it
// stands, its arguments as far as they came (unclosed: they may not parse)
// and marked Incomplete, so that no client takes it for a call to run.
func (f *Filter) CutEvents() []Event {
	var out events
	if f.inBlock && f.call != nil {
		final := *f.call
		final.Arguments, final.Incomplete = f.streamed, true
		out = append(out, Event{Kind: EventCall, Call: final})
	}
	if !f.sawCall && f.pending == "" {
		out.text(f.held) // as Flush keeps an answer without calls' whitespace, not before markup that went
	}
	f.pending, f.inBlock, f.held = "", false, ""
	f.call, f.args, f.fed, f.streamed, f.headless = nil, nil, 0, "", false
	return out
}

// text releases s after the whitespace held before it, holding back the
// whitespace s ends with (and, after a call and before any text, the
// whitespace it starts with).
func (f *Filter) text(out *events, s string) {
	if s == "" {
		return
	}
	s = f.held + s
	if f.sawCall && !f.released {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	body := strings.TrimRightFunc(s, unicode.IsSpace)
	f.held = s[len(body):]
	if body != "" {
		f.released = true
		out.text(body)
	}
}

// events collects a feed's events, merging adjacent text.
type events []Event

func (e *events) text(s string) {
	if s == "" {
		return
	}
	if n := len(*e); n > 0 && (*e)[n-1].Kind == EventText {
		(*e)[n-1].Text += s
		return
	}
	*e = append(*e, Event{Kind: EventText, Text: s})
}
