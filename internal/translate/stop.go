package translate

import "strings"

// StopFilter ends an answer's text before the first stop sequence (OpenAI's
// stop, Anthropic's stop_sequences), also when the sequence arrives split
// across stream pieces: it holds back only a tail that could still grow into
// a sequence, and releases everything else at once.
type StopFilter struct {
	stops   []string
	pending string
	hit     string // the sequence that ended the answer
}

// Matched is the sequence that ended the answer ("" while none has).
func (f *StopFilter) Matched() string {
	if f == nil {
		return ""
	}
	return f.hit
}

// NewStopFilter returns a filter for stops, or nil for none (a nil filter
// passes everything).
func NewStopFilter(stops []string) *StopFilter {
	if len(stops) == 0 {
		return nil
	}
	return &StopFilter{stops: stops}
}

// CutAtStop is text before the first of stops in it, and that stop ("" for
// none): StopFilter for a text that is whole.
func CutAtStop(text string, stops []string) (string, string) {
	f := NewStopFilter(stops)
	cut := f.Feed(text)
	if !f.Stopped() {
		cut += f.Flush()
	}
	return cut, f.Matched()
}

// Stopped reports whether a stop sequence has ended the answer; after that
// every Feed returns "".
func (f *StopFilter) Stopped() bool { return f != nil && f.hit != "" }

// Feed takes the next piece of text and returns what can be sent now.
func (f *StopFilter) Feed(s string) string {
	if f == nil {
		return s
	}
	if f.hit != "" {
		return ""
	}
	f.pending += s
	at, matched := -1, ""
	for _, stop := range f.stops {
		if i := strings.Index(f.pending, stop); i >= 0 && (at < 0 || i < at) {
			at, matched = i, stop
		}
	}
	if at >= 0 {
		out := f.pending[:at]
		f.pending, f.hit = "", matched
		return out
	}
	keep := f.partial()
	out := f.pending[:len(f.pending)-keep]
	f.pending = f.pending[len(f.pending)-keep:]
	return out
}

// partial is the length of the longest tail of the held text that is the
// start of a stop sequence.
func (f *StopFilter) partial() int {
	longest := 0
	for _, stop := range f.stops {
		n := min(len(stop)-1, len(f.pending))
		for ; n > longest; n-- {
			if strings.HasSuffix(f.pending, stop[:n]) {
				longest = n
				break
			}
		}
	}
	return longest
}

// Flush ends the answer: a held tail that never became a sequence is text.
func (f *StopFilter) Flush() string {
	if f == nil || f.hit != "" {
		return ""
	}
	out := f.pending
	f.pending = ""
	return out
}
