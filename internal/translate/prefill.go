package translate

import "strings"

// PrefixTrim takes a prefill's continuation as it streams and drops the
// prefill if the model repeated it before going on (as models do, asked
// not to): the client already has that text. It holds back only while the
// answer so far could still be the repetition.
type PrefixTrim struct {
	prefix  string // the prefill, trimmed of surrounding space
	spaced  bool   // the prefill ended in white space: the continuation does not start with more
	pending string
	done    bool
	// skipSpace: the repetition has been dropped and the prefill ended in
	// white space, so white space that starts the continuation goes too.
	skipSpace bool
}

// NewPrefixTrim returns a trimmer for prefill, or nil when there is nothing
// to trim (a nil trimmer passes everything).
func NewPrefixTrim(prefill string) *PrefixTrim {
	p := strings.TrimSpace(prefill)
	if p == "" {
		return nil
	}
	return &PrefixTrim{prefix: p, spaced: strings.TrimRight(prefill, " \t\n") != prefill}
}

// Feed takes the next piece of the answer and returns what can be sent now.
func (t *PrefixTrim) Feed(s string) string {
	if t == nil {
		return s
	}
	if t.done {
		if t.skipSpace {
			s = strings.TrimLeft(s, " \t")
			t.skipSpace = s == ""
		}
		return s
	}
	t.pending += s
	head := strings.TrimLeft(t.pending, " \t\n")
	switch {
	case strings.HasPrefix(head, t.prefix):
		t.done, t.pending, t.skipSpace = true, "", t.spaced
		return t.Feed(head[len(t.prefix):])
	case strings.HasPrefix(t.prefix, head):
		return "" // may still be the repetition
	}
	t.done = true
	out := t.pending
	t.pending = ""
	return out
}

// Flush ends the answer: what was held was not the whole repetition.
func (t *PrefixTrim) Flush() string {
	if t == nil || t.done {
		return ""
	}
	t.done = true
	out := t.pending
	t.pending = ""
	return out
}

// Cut ends an answer cut short (at the client's limit of output tokens):
// what is held may still be the model's repetition of the prefill, which
// the client would get only once it was known not to be, and goes.
func (t *PrefixTrim) Cut() {
	if t != nil {
		t.done, t.pending = true, ""
	}
}
