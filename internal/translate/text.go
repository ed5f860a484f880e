package translate

import "strings"

// Text is an answer's text as it arrives, a delta at a time (the upstream
// answer's here, the client's transcript in the server). A short text is
// one strings.Builder, grown from textStart by doubling; a long one is kept
// in pieces of about textPiece, and a delta as long as a piece is kept as
// it came, not copied, and the pieces are joined once, when the whole is
// asked for. Until 2026-12-07 a long text was one builder grown a quarter
// at a time: five times the text allocated, for the answer's text and again
// for the client's.
type Text struct {
	last   strings.Builder // the text after pieces
	pieces []string        // the text's beginning, in order
	n      int             // the length of pieces together
}

// textStart is the first capacity of a text's builder: it then grows by
// doubling from there, not from 8 bytes (a few hundred words took eight
// allocations).
const textStart = 512

// textPiece is the length past which a text's builder is not grown but
// kept as a piece, and a new one begun.
const textPiece = 64 << 10

// WriteString adds s to the text.
func (t *Text) WriteString(s string) {
	if size := t.last.Len() + len(s); size > textPiece && size > t.last.Cap() {
		t.seal()
		if len(s) >= textPiece {
			t.pieces, t.n = append(t.pieces, s), t.n+len(s)
			return
		}
		t.last.Grow(textPiece)
	}
	if t.last.Cap() == 0 && len(s) < textStart {
		t.last.Grow(textStart)
	}
	t.last.WriteString(s)
}

// seal keeps the builder's text as a piece, and begins a new builder.
func (t *Text) seal() {
	if t.last.Len() == 0 {
		return
	}
	t.pieces, t.n = append(t.pieces, t.last.String()), t.n+t.last.Len()
	t.last = strings.Builder{}
}

// Len is the text's length in bytes.
func (t *Text) Len() int { return t.n + t.last.Len() }

// String is the whole text: its pieces joined (once: the join is then the
// one piece).
func (t *Text) String() string {
	switch {
	case len(t.pieces) == 0:
		return t.last.String()
	case len(t.pieces) == 1 && t.last.Len() == 0:
		return t.pieces[0]
	}
	var whole strings.Builder
	whole.Grow(t.Len())
	for _, p := range t.pieces {
		whole.WriteString(p)
	}
	whole.WriteString(t.last.String())
	clear(t.pieces) // the pieces are the join's now: kept no longer
	*t = Text{pieces: append(t.pieces[:0], whole.String()), n: whole.Len()}
	return t.pieces[0]
}

// Pieces are the text in pieces, in order, not joined: for a reader of a
// long text that needs no copy of it whole.
func (t *Text) Pieces() []string {
	if t.last.Len() == 0 {
		return t.pieces
	}
	return append(t.pieces[:len(t.pieces):len(t.pieces)], t.last.String())
}

// Reset empties the text.
func (t *Text) Reset() { *t = Text{} }
