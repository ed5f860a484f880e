package translate

import (
	"strings"
	"testing"
)

// feedAll streams text in pieces of n bytes through f and returns what came
// out, and the pieces that came out, in order.
func feedAll(feed func(string) string, flush func() string, text string, n int) (string, []string) {
	var out []string
	for i := 0; i < len(text); i += n {
		if s := feed(text[i:min(i+n, len(text))]); s != "" {
			out = append(out, s)
		}
	}
	if s := flush(); s != "" {
		out = append(out, s)
	}
	return strings.Join(out, ""), out
}

func TestStopFilterEndsBeforeTheFirstSequenceInAnySplit(t *testing.T) {
	text := `You said: "second". Earlier you said: "first".`
	for n := 1; n <= len(text); n++ {
		f := NewStopFilter([]string{"you said: \"first", "Earlier"})
		got, _ := feedAll(f.Feed, f.Flush, text, n)
		if got != `You said: "second". ` || f.Matched() != "Earlier" {
			t.Fatalf("pieces of %d: %q (matched %q)", n, got, f.Matched())
		}
	}
	// Text that only looks like a start is released, in order.
	f := NewStopFilter([]string{"END"})
	got, pieces := feedAll(f.Feed, f.Flush, "The ENd is not the END", 3)
	if got != "The ENd is not the " || f.Matched() != "END" {
		t.Fatalf("%q", got)
	}
	// Only a possible start is held: "The" goes out before "EN" arrives.
	if pieces[0] != "The" {
		t.Fatalf("held too much: %q", pieces)
	}
	f = NewStopFilter([]string{"zz"})
	if got, _ := feedAll(f.Feed, f.Flush, "no stop here z", 2); got != "no stop here z" || f.Stopped() {
		t.Fatalf("%q", got)
	}
	var none *StopFilter
	if none.Feed("x") != "x" || none.Flush() != "" || none.Stopped() {
		t.Fatal("a nil filter passes everything")
	}
}

func TestPrefixTrimDropsARepeatedPrefill(t *testing.T) {
	cases := []struct{ prefill, answer, want string }{
		{"Once upon ", "Once upon a time.", "a time."},  // repeated
		{"Once upon ", "a time.", "a time."},            // not repeated
		{"Once upon", " Once upon a time.", " a time."}, // repeated after space
		{"Once upon ", "Once upo", "Once upo"},          // cut short: kept
		{"Roses", "Rose-tinted", "Rose-tinted"},         // looked like it, was not
		{"  ", "anything", "anything"},                  // nothing to trim
	}
	for _, c := range cases {
		for n := 1; n <= len(c.answer); n++ {
			tr := NewPrefixTrim(c.prefill)
			if got, _ := feedAll(tr.Feed, tr.Flush, c.answer, n); got != c.want {
				t.Fatalf("%q + %q in pieces of %d: %q, want %q", c.prefill, c.answer, n, got, c.want)
			}
		}
	}
}
