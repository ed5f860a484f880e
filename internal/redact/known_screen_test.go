package redact

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// The screen of a Known finds every pattern wherever it stands (at the
// text's start, at its end, at every offset from a read gram), and reports
// nothing when none is there: it agrees with looking for each one whole.
func TestKnownScreenAgreesWithLookingForEachValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int, alphabet string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	const alphabet = "abcd=;%\"\\" // few letters: near misses everywhere
	for range 300 {
		var patterns []string
		for range 1 + rng.IntN(6) {
			patterns = append(patterns, word(1+rng.IntN(40), alphabet))
		}
		s := newScreen(patterns)
		check := func(text string) {
			t.Helper()
			want := false
			for _, p := range patterns {
				want = want || strings.Contains(text, p)
			}
			if got := s.in([]byte(text)); got != want {
				t.Fatalf("patterns %q, text %q: in = %v, want %v", patterns, text, got, want)
			}
		}
		text := word(rng.IntN(200), alphabet)
		check(text)
		p := patterns[rng.IntN(len(patterns))]
		for at := range len(text) + 1 {
			check(text[:at] + p + text[at:])
		}
	}
}

func TestKnownInIsFalseForNothingKnown(t *testing.T) {
	var k *Known
	if k.In([]byte("anything")) {
		t.Error("a nil Known holds something")
	}
	if NewKnown("", "") != nil {
		t.Error("a Known of nothing")
	}
}

// agentBodies are two coding agents' bodies that hold no secret: some 1 KB
// and some 100 KB, tool results of source code among the turns.
func agentBodies() map[string][]byte {
	source, _ := json.Marshal(strings.Repeat("\tfmt.Println(\"token\", key, \"value\")\n", 10))
	turn := `{"role":"user","content":"read the file and fix the test, then run it again"},` +
		`{"role":"tool","tool_call_id":"call_1","content":` + string(source) + `},`
	body := func(n int) []byte {
		b := `{"model":"qwen3-max","max_tokens":4096,"messages":[`
		for len(b) < n-40 {
			b += turn
		}
		return []byte(b + `{"role":"user","content":"go on"}]}`)
	}
	return map[string][]byte{"1KB": body(1 << 10), "100KB": body(100 << 10)}
}

// BenchmarkKnownScreen is the cost of the masker of several accounts'
// secrets (each a login token, cookies, a password and its digest) over a
// body that holds none of them, beside the redaction every recorded body
// already passes (JSON).
func BenchmarkKnownScreen(b *testing.B) {
	var cookies []string
	var values []string
	for i := range 5 {
		jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + strings.Repeat(string(rune('A'+i)), 120) + ".sig" + strings.Repeat("x", 40)
		cookies = append(cookies, "token="+jwt, "cna=Zx"+strings.Repeat(string(rune('a'+i)), 22), "acw_tc=0a"+strings.Repeat("9", 60+i), "ssxmod_itna=Q"+strings.Repeat("w", 200+i), "isg=1")
		values = append(values, "pass-word-"+string(rune('0'+i)), strings.Repeat("5e884898da28047151d0e56f8dc62927", 2)[i:])
	}
	k := NewKnown(strings.Join(cookies, "; "), values...)
	for name, body := range agentBodies() {
		if k.In(body) {
			b.Fatalf("%s: holds a secret", name)
		}
		b.Run("redact.JSON/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				JSON(body)
			}
		})
		b.Run("Known.JSON/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if !bytes.Equal(k.JSON(body), body) {
					b.Fatal("changed")
				}
			}
		})
	}
}

// FuzzKnownScreen checks the screen against looking for each value whole,
// for values cut from the text itself (present) and apart from it.
func FuzzKnownScreen(f *testing.F) {
	f.Add("token=eyJhbGciOi.payload.sig; cna=abc", "x token=eyJhbGciOi.payload.sig y", uint8(3), uint8(30))
	f.Add("pass-word-1", `{"content":"pass-word-1"}`, uint8(0), uint8(5))
	f.Fuzz(func(t *testing.T, value, text string, from, n uint8) {
		patterns := []string{value}
		if i, j := int(from), int(from)+int(n); j <= len(text) {
			patterns = append(patterns, text[i:j])
		}
		want := false
		for _, p := range patterns {
			want = want || p != "" && strings.Contains(text, p)
		}
		s := newScreen(patterns)
		if got := s.in([]byte(text)); got != want {
			t.Fatalf("patterns %q, text %q: in = %v, want %v", patterns, text, got, want)
		}
	})
}
