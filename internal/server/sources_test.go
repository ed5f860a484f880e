package server

import "testing"

// A source's title with an unbalanced bracket, or a URL with parentheses or
// spaces, ended its Markdown link early ("[1] [Results [2026](…)" is no
// link): the title's brackets are escaped, the URL's parentheses and
// spaces percent-encoded.
func TestASourceLineIsOneMarkdownLink(t *testing.T) {
	for _, c := range []struct{ title, url, want string }{
		{"Oslo", "https://example.com/oslo", "[1] [Oslo](https://example.com/oslo)"},
		{"Results [2026", "https://example.com/r", `[1] [Results \[2026](https://example.com/r)`},
		{"a ] b \\ c", "https://example.com/x", `[1] [a \] b \\ c](https://example.com/x)`},
		{"Oslo (city)", "https://en.wikipedia.org/wiki/Oslo_(city)", "[1] [Oslo (city)](https://en.wikipedia.org/wiki/Oslo_%28city%29)"},
		{"", "https://example.com/a b", "[1] [https://example.com/a b](https://example.com/a%20b)"},
		{"two\nlines", "https://example.com/", "[1] [two lines](https://example.com/)"},
	} {
		if got := sourceLine(1, c.title, c.url); got != c.want {
			t.Errorf("sourceLine(%q, %q) = %s, want %s", c.title, c.url, got, c.want)
		}
	}
}
