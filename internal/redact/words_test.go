package redact

import (
	"slices"
	"testing"
)

// TestASCIINamesSplitAsTheirRunesDo: an ASCII name's words, read from its
// bytes, are those its runes give, for every name of up to five characters
// from letters of both cases, a digit and separators.
func TestASCIINamesSplitAsTheirRunesDo(t *testing.T) {
	const alphabet = "aBc1_- ."
	name := make([]byte, 0, 5)
	var walk func()
	walk = func() {
		want := appendRuneWords(nil, string(name))
		if got := appendASCIIWords(nil, string(name)); !slices.Equal(got, want) {
			t.Fatalf("%q: %q, by runes %q", name, got, want)
		}
		checkLastWords(t, string(name), want)
		if len(name) == cap(name) {
			return
		}
		for i := range len(alphabet) {
			name = append(name, alphabet[i])
			walk()
			name = name[:len(name)-1]
		}
	}
	walk()
	for _, n := range []string{"HTTPServer", "accessToken", "ACCESS-TOKEN", "x_api_keys", "prompt_cache_key", "bx-umidtoken", "OAuth2Token"} {
		if got, want := splitWords(n), appendRuneWords(nil, n); !slices.Equal(got, want) {
			t.Errorf("%q: %q, by runes %q", n, got, want)
		}
		checkLastWords(t, n, appendRuneWords(nil, n))
	}
	for _, n := range []string{"Straße_Token", "ÄpiKey", "x_ǅtoken", ""} {
		checkLastWords(t, n, splitWords(n))
	}
}

// checkLastWords checks that lastWords gives the last two of words, the
// words of name, and their count.
func checkLastWords(t *testing.T, name string, words []string) {
	t.Helper()
	var prev, last string
	if n := len(words); n > 0 {
		last = words[n-1]
		if n > 1 {
			prev = words[n-2]
		}
	}
	if p, l, n := lastWords(name); p != prev || l != last || n != len(words) {
		t.Fatalf("%q: last words %q %q of %d, want %q %q of %d", name, p, l, n, prev, last, len(words))
	}
}

// TestSecretNameOfAnASCIINameAllocatesNothing: the counts every answer's
// usage names are screened without allocating, and a body holding no
// secret but them is passed over without allocating either.
func TestSecretNameOfAnASCIINameAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		SecretName("prompt_tokens")
		SecretName("completion_tokens")
		SecretName("cached_tokens")
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
	body := []byte(`{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`)
	if n := testing.AllocsPerRun(100, func() { JSON(body) }); n != 0 {
		t.Fatalf("%v allocations for %s", n, body)
	}
}
