package tools

// quoteState follows the Markdown context of an answer's text as it is read,
// so that markup the model quotes — inside a fenced code block, an inline
// code span or a blockquote line — is told apart from markup it means as a
// call. It is fed every byte that stays text, in order; call blocks that were
// taken out are not fed.
type quoteState struct {
	fence     byte // '`' or '~' while inside a fenced code block
	fenceLen  int  // length of the opening fence's run
	lineStart bool // nothing but spaces since the last newline
	indent    int  // spaces at the start of the line
	run       byte // the run of fence characters at the line's start
	runLen    int
	inlineLen int  // backticks that opened the inline code span, 0 outside
	ticks     int  // backticks in the current run, not yet interpreted
	quoteLine bool // the line is a blockquote ("> …")
}

func newQuoteState() *quoteState { return &quoteState{lineStart: true} }

// quoted reports whether text read now is quotation rather than prose.
func (q *quoteState) quoted() bool {
	c := *q // runs of backticks just read count as finished
	if c.runLen > 0 {
		c.endRun()
	}
	c.endTicks()
	return c.fence != 0 || c.inlineLen > 0 || c.quoteLine
}

// feed reads text.
func (q *quoteState) feed(text string) {
	for i := 0; i < len(text); i++ {
		q.byte(text[i])
	}
}

func (q *quoteState) byte(c byte) {
	if c == '\n' {
		q.endLine()
		return
	}
	// A fence opens or closes only with a run of three or more ` or ~ at
	// the start of a line (indented at most three spaces).
	if q.lineStart && (c == '`' || c == '~') && q.indent <= 3 && (q.run == 0 || q.run == c) {
		q.run = c
		q.runLen++
		return
	}
	if q.lineStart && q.runLen > 0 {
		q.endRun()
	}
	if q.lineStart && c == ' ' {
		q.indent++
		return
	}
	if q.lineStart {
		q.lineStart = false
		if c == '>' && q.fence == 0 {
			q.quoteLine = true
		}
	}
	if q.fence != 0 {
		return
	}
	if c == '`' {
		q.ticks++
		return
	}
	q.endTicks()
}

// endRun interprets the run of fence characters that began the line.
func (q *quoteState) endRun() {
	run, n := q.run, q.runLen
	q.run, q.runLen, q.lineStart = 0, 0, false
	switch {
	case n >= 3 && q.fence == 0:
		q.fence, q.fenceLen = run, n
	case n >= 3 && q.fence == run && n >= q.fenceLen:
		q.fence, q.fenceLen = 0, 0
	case q.fence == 0 && run == '`':
		q.ticks = n // a short run of backticks is inline code
		q.endTicks()
	}
}

// endTicks interprets a finished run of backticks: it opens an inline code
// span, or closes the open one when the lengths match.
func (q *quoteState) endTicks() {
	if q.ticks == 0 {
		return
	}
	switch {
	case q.inlineLen == 0:
		q.inlineLen = q.ticks
	case q.inlineLen == q.ticks:
		q.inlineLen = 0
	}
	q.ticks = 0
}

// endLine ends a line. Inline code does not run past it: a stray backtick
// must not turn the rest of an answer into quotation.
func (q *quoteState) endLine() {
	if q.runLen > 0 {
		q.endRun()
	}
	q.endTicks()
	q.inlineLen, q.quoteLine, q.lineStart, q.indent = 0, false, true, 0
}
