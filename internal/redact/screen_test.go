package redact

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// objectKey is the regexp nextKey stands for.
var objectKey = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"\s*:`)

// keyMatches lists nextKey's matches, in FindAllSubmatchIndex's form.
func keyMatches(body []byte) [][]int {
	var got [][]int
	for from := 0; ; {
		start, nameEnd, end, ok := nextKey(body, from)
		if !ok {
			return got
		}
		got = append(got, []int{start, end, start + 1, nameEnd})
		from = end
	}
}

// oldHasSecretName is hasSecretName as it was, on the regexp and SecretName
// alone.
func oldHasSecretName(body []byte) bool {
	for _, m := range objectKey.FindAllSubmatchIndex(body, -1) {
		name := body[m[2]:m[3]]
		if bytes.IndexByte(name, '\\') >= 0 {
			var s string
			if json.Unmarshal(body[m[0]:m[3]+1], &s) != nil {
				return true
			}
			name = []byte(s)
		}
		if SecretName(string(name)) {
			return true
		}
	}
	return false
}

func checkScreens(t *testing.T, body []byte) {
	t.Helper()
	if got, want := mentionsSecretWord(body), quick.Match(body); got != want {
		t.Fatalf("mentionsSecretWord(%q) = %v, quick says %v", body, got, want)
	}
	want := objectKey.FindAllSubmatchIndex(body, -1)
	got := keyMatches(body)
	if len(got) != len(want) {
		t.Fatalf("%q: keys %v, the regexp finds %v", body, got, want)
	}
	for i := range got {
		for j := range got[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("%q: keys %v, the regexp finds %v", body, got, want)
			}
		}
	}
	if got, want := hasSecretName(body), oldHasSecretName(body); got != want {
		t.Fatalf("hasSecretName(%q) = %v, was %v", body, got, want)
	}
}

var screenBodies = []string{
	``, `{}`, `"`, `"a"`, `"a":`, `"a" :`, "\"a\"\t\n\f\r :", "\"a\"\v:", `"a\"b":1`, `"a\\":"b"`, "\"a\\\n\":1",
	`"a\`, `"a\"`, `{"api_key":"x"}`, `{"API-KEY":"x"}`, `{"max_tokens":5}`, `{"note":"a \"quoted\": text","password":"x"}`,
	`{"a":"b" , "c":1}`, `{"x":"y":"z"}`, `{"kEy":1}`, "{\"\u212aey\":1}", "{\"pa\u017fs\":1}", "{\"\u212a\":1}",
	`{"credentİal":"x","max_tokens":1}`, "\"\xff\":1", "\"\\\xe2\x80\":1", `{"api\u005fkey":"x"}`, `{"api\u00":"x"}`,
	`{"messages":[{"role":"user","content":"benchmark"}],"model":"qwen3-max"}`, `TOKEN`, `toke`, `Bearer`, `CREDENTIA`,
	`{"a":"x \"b\": c","d":1}`, `"\"\"\"":1`, `"a\"b\":"c":1`, `{"code":"f(\"key\", \"v\")\n","password":"x"}`,
	"\"\\\"x\\\n\"y\":1", `"\"\"`, `"a\""b":`, `"\\"\\":"`,
}

func TestScreensAgreeWithTheRegexps(t *testing.T) {
	for _, b := range screenBodies {
		checkScreens(t, []byte(b))
	}
}

// FuzzScreens holds the hand-written screens to the regexps they replaced:
// mentionsSecretWord to quick, nextKey to objectKey's matches, and
// hasSecretName to the regexp way of finding names.
func FuzzScreens(f *testing.F) {
	for _, b := range screenBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkScreens(t, body) })
}

// Only the Kelvin sign and the long s fold, in Unicode simple case folding
// (quick's (?i)), to a letter of the secret words outside ASCII: any other
// such rune would have to join foldingRunes.
func TestFoldingRunesAreAll(t *testing.T) {
	letters := map[rune]bool{}
	for _, w := range secretWords {
		for _, r := range w {
			letters[r] = true
		}
	}
	var found []string
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if letters[unicode.ToLower(f)] && f < utf8.RuneSelf {
				found = append(found, string(r))
				break
			}
		}
	}
	if strings.Join(found, "") != strings.Join(foldingRunes[:], "") {
		t.Fatalf("runes folding to a secret word's letter: %q, foldingRunes has %q", found, foldingRunes)
	}
}

// mayNameSecret never turns a secret's name away, whatever its spelling:
// every name of the table, and any the fuzzer makes.
func FuzzMayNameSecret(f *testing.F) {
	for _, n := range append(append([]string{}, secretNames...), keptNames...) {
		f.Add(n)
	}
	f.Add("credentİal")
	f.Add("\u212aey")
	f.Fuzz(func(t *testing.T, name string) {
		if SecretName(name) && !mayNameSecret([]byte(name)) {
			t.Fatalf("%q names a secret but the screen passes it over", name)
		}
	})
}

// BenchmarkJSON is the redaction of a small chat body without any secret
// word, and of an agent's large one that has max_tokens (so every key is
// looked at) and no secret.
//
//	go test -run '^$' -bench JSON ./internal/redact
func BenchmarkJSON(b *testing.B) {
	agent := `{"model":"qwen3-max","max_tokens":4096,"messages":[` +
		strings.Repeat(`{"role":"user","content":"`+strings.Repeat("read the file and fix the test ", 40)+`"},`, 80) +
		`{"role":"user","content":"go on"}]}`
	// A coding agent's: tool results of source code, whose strings hold
	// many escaped quotes, the whole history resent.
	source, _ := json.Marshal(strings.Repeat("\tfmt.Println(\"token\", key, \"value\")\n", 150))
	code := `{"model":"qwen3-max","max_tokens":4096,"messages":[` +
		strings.Repeat(`{"role":"tool","tool_call_id":"call_1","content":`+string(source)+`},`, 20) +
		`{"role":"user","content":"go on"}]}`
	for _, c := range []struct{ name, body string }{
		{"small", `{"model":"qwen3-max","messages":[{"role":"user","content":"benchmark"}]}`},
		{"agent", agent},
		{"code", code},
	} {
		b.Run(c.name, func(b *testing.B) {
			body := []byte(c.body)
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				JSON(body)
			}
		})
	}
}
