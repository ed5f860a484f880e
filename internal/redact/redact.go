// Package redact removes secrets from JSON bodies before they are stored.
package redact

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"unicode/utf8"

	"qwenproxy/internal/jsonedit"
	"qwenproxy/internal/jsonscan"
)

// Placeholder replaces a secret's value.
const Placeholder = "[REDACTED]"

// quick is a cheap screen: a body without any of these words has nothing to
// redact, and is stored as it came (the common case costs one scan).
// mentionsSecretWord is the same test without the regexp engine, which spent
// tens of microseconds a call on it; quick stays as its reference and for
// the bodies holding a non-ASCII rune that folds to one of its letters.
var quick = regexp.MustCompile(`(?i)key|token|secret|pass|cookie|auth|bearer|credential`)

// secretWords are quick's words, in lower case.
var secretWords = [...]string{"key", "token", "secret", "pass", "cookie", "auth", "bearer", "credential"}

// wordsFrom lists, by the byte (either case) they start with, the secret
// words: at a byte that starts one, only those are compared (comparing all
// eight at every a, b, c, k, p, s or t of an agent's prose made the screen
// most of what redaction cost a call, 0.6 ms for 70 KB).
var wordsFrom = func() (t [256][]string) {
	for _, w := range secretWords {
		t[w[0]] = append(t[w[0]], w)
		t[w[0]-'a'+'A'] = t[w[0]]
	}
	return t
}()

// foldingRunes are the only non-ASCII runes that fold, under Unicode simple
// case folding as quick's (?i) applies it, to a letter of the secret words:
// the long s (s) and the Kelvin sign (k). A body holding either is left to
// quick itself.
var foldingRunes = [...]string{"\u017f", "\u212a"}

// mentionsSecretWord reports exactly what quick.Match(body) does.
func mentionsSecretWord(body []byte) bool {
	for _, r := range foldingRunes {
		if bytes.Contains(body, []byte(r)) {
			return quick.Match(body)
		}
	}
	return hasSecretWord(body)
}

// hasSecretWord reports whether b holds one of secretWords, ASCII letters
// compared without case.
func hasSecretWord(b []byte) bool {
	for i, c := range b {
		for _, w := range wordsFrom[c] {
			if len(b)-i >= len(w) && equalFoldASCII(b[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// equalFoldASCII reports whether b is lower, with ASCII upper-case letters
// in b taken as lower case (lower is lower-case letters only).
func equalFoldASCII(b []byte, lower string) bool {
	for i := range len(lower) {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// hasSecretName reports whether any object key in body may name a secret.
// A large message whose text merely mentions a token is then stored as it
// came, without decoding the whole body into a tree and encoding it again.
func hasSecretName(body []byte) bool {
	return anyKey(body, func(name, _ []byte) bool { return mayNameSecret(name) && SecretName(string(name)) })
}

// AnyMember reports whether body, JSON, may hold a member named one of
// names (compared as decoded: "u\u0072l" is "url") whose value matches
// says yes to. It never misses one; it may also say yes for what looks like
// such a member inside another string, or for a name or value it cannot
// read. A screen for an editor of those members: a coding agent's hundred
// kilobytes, none of whose members the editor would change, are passed over
// in one scan instead of rewritten.
func AnyMember(body []byte, names []string, matches func(value []byte) bool) bool {
	return anyKey(body, func(name, rest []byte) bool {
		if !slices.Contains(names, string(name)) {
			return false
		}
		start := jsonscan.SkipSpace(rest, 0)
		end := jsonscan.ValueEnd(rest, start)
		return end < 0 || matches(rest[start:end]) // unreadable: look properly
	})
}

// anyKey reports whether named says yes to any object key of body (see
// nextKey) — given its name and what follows its colon — or a key's escaped
// name does not decode.
func anyKey(body []byte, named func(name, value []byte) bool) bool {
	for from := 0; ; {
		start, nameEnd, end, ok := nextKey(body, from)
		if !ok {
			return false
		}
		from = end
		name := body[start+1 : nameEnd]
		if bytes.IndexByte(name, '\\') >= 0 {
			var s string
			if json.Unmarshal(body[start:nameEnd+1], &s) != nil {
				return true // cannot tell: look properly
			}
			name = []byte(s)
		}
		if named(name, body[end:]) {
			return true
		}
	}
}

// nextKey finds what may be an object key: a JSON string followed by a
// colon. It may also match inside a string value (never missing a key),
// which only costs the full parse. It finds what the regexp
// `"((?:[^"\\]|\\.)*)"\s*:` would, one match a call from from on, as
// FindAllSubmatchIndex does (without its engine, which cost a large body
// milliseconds): the opening quote at start, the closing one at nameEnd,
// the match ending before end.
func nextKey(body []byte, from int) (start, nameEnd, end int, ok bool) {
	for {
		q := bytes.IndexByte(body[from:], '"')
		if q < 0 {
			return 0, 0, 0, false
		}
		start = from + q
		var next int
		if nameEnd, end, next, ok = keyAt(body, start); ok {
			return start, nameEnd, end, true
		}
		from = next // the regexp tries every quote, but those before next fail as this one did
	}
}

// keyAt matches the key's pattern at the quote body[start]: a string whose
// backslashes each escape one character other than a newline, then spaces
// (\s: tab, newline, form feed, carriage return, space) and a colon.
//
// Failing, it returns as next where the next match may start. Every quote
// it passed over was an escaped one, and a match tried there scans on from
// the character after it exactly as this one did, to the same failure: the
// regexp's tries, made one by one, cost a string of n escaped quotes n
// scans of its length (a coding agent's history of source code, 127 KB,
// took 26 ms a call).
func keyAt(body []byte, start int) (nameEnd, end, next int, ok bool) {
	j := start + 1
	for {
		if j >= len(body) {
			return 0, 0, len(body), false
		}
		switch body[j] {
		case '"':
			nameEnd = j
			for j++; j < len(body); j++ {
				switch body[j] {
				case '\t', '\n', '\f', '\r', ' ':
					continue
				case ':':
					return nameEnd, j + 1, 0, true
				}
				break
			}
			return 0, 0, nameEnd, false // the closing quote may open a key
		case '\\':
			// The escaped character may be a multi-byte rune: its other
			// bytes are neither a quote nor a backslash, so they are
			// passed over one by one below.
			if j+1 >= len(body) || body[j+1] == '\n' {
				return 0, 0, j + 1, false
			}
			j += 2
		default:
			j++
		}
	}
}

// mayNameSecret is a screen for SecretName that never says no to a secret's
// name: an ASCII name can only be one if it holds a secret word (each of
// SecretName's last words holds one). A non-ASCII name goes to SecretName,
// whose lower-casing maps a few non-ASCII letters to ASCII ones.
func mayNameSecret(name []byte) bool {
	for _, c := range name {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return hasSecretWord(name)
}

// JSON returns body with the value of every object field whose name looks
// like a secret replaced by Placeholder, at any depth (an object's value is
// searched instead), and the password of every URL's user info wherever it
// stands (URLPasswords), every other byte as it was. A body that is not
// JSON has only its URLs' passwords masked.
//
// A tool call's arguments, which OpenAI's APIs carry as a JSON object
// encoded in a string ("arguments":"{\"api_key\":…}"), are redacted
// inside that string alike.
func JSON(body []byte) []byte {
	out, _ := JSONHiding(body)
	return out
}

// JSONHiding is JSON, with the values it replaced: each string as it
// reads (decoded), each number as written, the strings and numbers of an
// array replaced whole, each URL's password but those of letters alone
// (Distinctive). A caller masks them (NewKnown) wherever else the call
// carries them — the request sent to Qwen renders a tool call's input as
// text.
func JSONHiding(body []byte) ([]byte, []string) {
	body, urls := URLPasswords(body)
	hidden := Distinctive(urls)
	if !mentionsSecretWord(body) || !hasSecretNameOrArguments(body) {
		return body, hidden
	}
	out, named := rewriteSecrets(body)
	return out, append(hidden, named...)
}

// rewriteSecrets is JSONHiding past its screen: apart, so that the body the
// screen passes over costs no allocation (the hidden values the editor
// appends to live on the heap from the function's start).
func rewriteSecrets(body []byte) (out []byte, hidden []string) {
	ed := jsonedit.Editor{Member: func(_ jsonedit.Object, name string, v []byte) ([]byte, bool) {
		if name == argumentsName && v[0] == '"' {
			redacted, inner := secretArguments(v)
			hidden = append(hidden, inner...)
			return redacted, redacted != nil
		}
		if v[0] == '{' || !SecretName(name) {
			return nil, false
		}
		hidden = appendScalars(hidden, v)
		return placeholderJSON, true
	}}
	out, _ = ed.Rewrite(body)
	return out, hidden
}

// argumentsName names the member that holds a tool call's arguments as a
// JSON object encoded in a string: Chat Completions' tool_calls[].function
// and legacy function_call, the Responses API's function_call items.
const argumentsName = "arguments"

// hasSecretNameOrArguments is hasSecretName, also saying yes for
// arguments (a string) whose JSON has a member named like a secret: the
// screen for JSONHiding, in one scan of body.
func hasSecretNameOrArguments(body []byte) bool {
	return anyKey(body, func(name, rest []byte) bool {
		if mayNameSecret(name) && SecretName(string(name)) {
			return true
		}
		if string(name) != argumentsName {
			return false
		}
		start := jsonscan.SkipSpace(rest, 0)
		end := jsonscan.ValueEnd(rest, start)
		if end < 0 {
			return true // unreadable: look properly
		}
		s, ok := jsonscan.StringValue(rest[start:end])
		return ok && mentionsSecretWord([]byte(s)) && hasSecretName([]byte(s))
	})
}

// secretArguments is v, a JSON string holding a tool call's arguments,
// with the secrets of the JSON it holds redacted (as JSONHiding redacts
// them), and what was hidden; nil when nothing changes (no secret, or
// arguments that are not JSON).
func secretArguments(v []byte) ([]byte, []string) {
	s, ok := jsonscan.StringValue(v)
	if !ok || !mentionsSecretWord([]byte(s)) {
		return nil, nil
	}
	inner, hidden := JSONHiding([]byte(s))
	if len(hidden) == 0 && bytes.Equal(inner, []byte(s)) {
		return nil, nil
	}
	out, err := jsonString(string(inner))
	if err != nil {
		return nil, nil
	}
	return out, hidden
}

// jsonString is s as a JSON string, its <, > and & as they were (a body's
// stay as they were sent).
func jsonString(s string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// appendScalars appends the strings and numbers of the JSON value v, at any
// depth.
func appendScalars(dst []string, v []byte) []string {
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			dst = append(dst, x)
		case json.Number:
			dst = append(dst, x.String())
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if dec.Decode(&x) == nil {
		walk(x)
	}
	return dst
}

// placeholderJSON is Placeholder as a JSON value.
var placeholderJSON = []byte(`"` + Placeholder + `"`)
