package redact

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"qwenproxy/internal/jsonedit"
	"qwenproxy/internal/jsonscan"
)

// MinKnownLen is the length from which a known secret value is masked
// wherever it appears. A shorter one (a cookie of "1", "abc") would mask
// words and numbers of the text around it: it is masked only where it
// stands as its cookie's name=value pair.
const MinKnownLen = 6

// Known masks secret values a caller knows: the cookies and tokens a call
// sent, an account's password and the password's digest. Text masks what
// looks like a credential; Known masks these values however the text frames
// them (JSON, Python's repr, key=value, a header line, a dump of a cookie
// jar), and a cookie Text would leave because its name says nothing of a
// secret (acw_tc, ssxmod_itna). A nil *Known masks nothing.
type Known struct {
	// passes mask the values most escaped first: twice JSON-escaped, then
	// once, then the rest (as they are, URL-encoded, a cookie's pair). A
	// value made of escapes (\"\\\\) may read, less escaped, from the quote
	// that opens one of its more escaped forms in a JSON string, and, found
	// there first, would leave the rest of that form behind.
	passes []*strings.Replacer
	screen screen // whether a text holds any of the passes' patterns, in one pass
	// values are the values masked, as given (CutTail).
	values []string
}

// Depths of escaping, the order of Known's passes.
const (
	twiceEscaped = iota
	onceEscaped
	unescaped
	depths
)

// NewKnown returns the masker of cookies (a Cookie header's value: every
// cookie's value, and its name=value pair) and of values (tokens,
// passwords, digests), each also as JSON and URL encoding write it. nil
// when there is nothing to mask.
func NewKnown(cookies string, values ...string) *Known {
	if cookies == "" && len(values) == 0 {
		// A call's record asks for the masker of what it hid, most often
		// nothing, twice a call: the walk below, its closure and the
		// Known it drops cost ~500 instructions each time.
		return nil
	}
	var pairs [depths][]pair
	var given []string
	add := func(v string) {
		if len(v) < MinKnownLen {
			return
		}
		given = append(given, v)
		for depth, forms := range encodings(v) {
			for _, form := range forms {
				pairs[depth] = append(pairs[depth], pair{form, Placeholder})
			}
		}
	}
	for part := range strings.SplitSeq(cookies, ";") {
		name, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || v == "" {
			continue
		}
		if name != "" {
			// The pair in each of the forms the value may take, the value
			// masked: "cna=abc", its JSON escapes, "cna%3Dabc".
			for _, enc := range encoders {
				head := enc(name + "=")
				if whole := enc(name + "=" + v); head != "" && strings.HasPrefix(whole, head) { // "": no such form
					pairs[unescaped] = append(pairs[unescaped], pair{whole, head + Placeholder})
				}
			}
		}
		add(v)
	}
	for _, v := range values {
		add(v)
	}
	k := &Known{values: given}
	var olds []string
	for _, ps := range pairs {
		if len(ps) == 0 {
			continue
		}
		k.passes = append(k.passes, replacer(ps))
		for _, p := range ps {
			olds = append(olds, p.old)
		}
	}
	if len(olds) == 0 {
		return nil
	}
	k.screen = newScreen(olds)
	return k
}

type pair struct{ old, new string }

// replacer replaces each pair's old by its new, the longest first: a
// Replacer tries its pairs in order at each place, and a value holding
// another (a cookie's pair, its value) must go whole.
func replacer(pairs []pair) *strings.Replacer {
	slices.SortStableFunc(pairs, func(a, b pair) int { return len(b.old) - len(a.old) })
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p.old, p.new)
	}
	return strings.NewReplacer(args...)
}

// replace is s with every known value masked, pass by pass.
func (k *Known) replace(s string) string {
	for _, r := range k.passes {
		s = r.Replace(s)
	}
	return s
}

// encodings are v as it may be echoed, by depth of escaping: as it is and
// URL-encoded; as a JSON string's content (with and without HTML
// escaping, with / escaped, in ASCII alone); and as the content of a JSON
// string inside a JSON string — escaped by one JSON writer, then by another
// or the same —, as a secret of a client's body reads in a refusal that
// quotes that body in its own JSON (ab"c\d: ab\\\"c\\\\d). Without those, such an
// echo kept the secret, or had only the part up to its first quote masked
// by Text. Only a form that differs from v is escaped again: a v without a
// character JSON escapes (a token, a digest) has the one form, as before.
func encodings(v string) [depths][]string {
	var forms [depths][]string
	add := func(depth int, f string) {
		if f == "" {
			return
		}
		for _, fs := range forms {
			if slices.Contains(fs, f) {
				return
			}
		}
		forms[depth] = append(forms[depth], f)
	}
	add(unescaped, v)
	for _, enc := range jsonEncoders {
		add(onceEscaped, enc(v))
	}
	add(unescaped, url.QueryEscape(v))
	add(unescaped, url.PathEscape(v))
	for _, f := range forms[onceEscaped] {
		for _, enc := range jsonEncoders {
			add(twiceEscaped, enc(f))
		}
	}
	return forms
}

// jsonEncoders write a text as a JSON string's content, as the writers an
// echo may have come through write it ("" for no such form).
var jsonEncoders = []func(string) string{
	jsonContent,
	func(v string) string { return strings.ReplaceAll(jsonContent(v), "/", `\/`) }, // as PHP and others escape it
	jsonContentUnescaped,
	func(v string) string { return asciiJSON(v, "0123456789abcdef") }, // Python's json.dumps
	func(v string) string { return asciiJSON(v, "0123456789ABCDEF") }, // .NET's System.Text.Json
}

// encoders write a text as an echo may hold it once: as it is, as each of
// jsonEncoders does, URL-encoded (a cookie's name=value pair in each form).
var encoders = append(append([]func(string) string{func(v string) string { return v }}, jsonEncoders...),
	url.QueryEscape, url.PathEscape)

// asciiJSON is v as a JSON string's content in ASCII alone, every other
// character \u-escaped with the hex digits given (a surrogate pair past
// the Basic Multilingual Plane), as clients whose JSON writers escape all
// but ASCII send it; "" for a v in ASCII, which has no such other form.
func asciiJSON(v, hex string) string {
	ascii := true
	for i := range len(v) {
		ascii = ascii && v[i] < utf8.RuneSelf
	}
	if ascii {
		return ""
	}
	var b strings.Builder
	for _, r := range jsonContentUnescaped(v) { // Python's and .NET's leave <, > and & alone
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[u>>shift&0xf])
			}
		}
	}
	return b.String()
}

// jsonContent is v as a JSON string's content, as encoding/json writes it.
func jsonContent(v string) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b[1 : len(b)-1])
}

// jsonContentUnescaped is jsonContent without HTML's escapes: <, > and &
// as they are.
func jsonContentUnescaped(v string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return ""
	}
	b := bytes.TrimSpace(buf.Bytes())
	return string(b[1 : len(b)-1])
}

// MinCutTail is the shortest start of a known value that CutTail masks.
const MinCutTail = 4

// CutTail returns b, a text cut short (a session's name: its first message
// cut to qp.FirstUserMessageMax bytes), with its end masked when it is the
// start of a known value, at least MinCutTail bytes of it: the cut came
// within the value, which the text no longer holds whole for Bytes to
// find. Masked before the cut, the text would not have kept it; a name
// stored before 2026-12-06, or a value learnt later (history redact), is
// masked so.
func (k *Known) CutTail(b []byte) []byte {
	if k == nil {
		return b
	}
	longest := 0
	for _, v := range k.values {
		for n := min(len(v)-1, len(b)); n >= MinCutTail && n > longest; n-- {
			if bytes.HasSuffix(b, unsafe.Slice(unsafe.StringData(v), n)) {
				longest = n
				break
			}
		}
	}
	if longest == 0 {
		return b
	}
	return append(b[:len(b)-longest:len(b)-longest], Placeholder...)
}

// String returns s with every known value masked.
func (k *Known) String(s string) string {
	if !k.In(unsafe.Slice(unsafe.StringData(s), len(s))) { // read only: no copy of s
		return s
	}
	return k.replace(s)
}

// Bytes returns b with every known value masked: b itself when none is in
// it.
func (k *Known) Bytes(b []byte) []byte {
	if !k.In(b) {
		return b
	}
	s := string(b)
	if out := k.replace(s); out != s {
		return []byte(out)
	}
	return b
}

// JSON returns body, a JSON document, with every known value masked inside
// its string values only: a value that is also a number's digits, a
// member's name or a stretch of the document's syntax is left there, so
// the document stays valid JSON with the same shape (Bytes would have cut
// into a number: 1796[REDACTED]789). A body that is not JSON is masked as
// text (Bytes).
func (k *Known) JSON(body []byte) []byte {
	if !k.In(body) {
		return body // none of the values, in any form, is in it
	}
	if !json.Valid(body) {
		return k.Bytes(body)
	}
	if whole := string(body); k.replace(whole) == whole {
		return body // none of the values, in any form, is in it
	}
	ed := jsonedit.Editor{String: func(v []byte) ([]byte, bool) {
		s, ok := jsonscan.StringValue(v)
		if !ok {
			return nil, false
		}
		masked := k.replace(s)
		if masked == s {
			return nil, false
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // a body's <, > and & stay as they were sent
		if enc.Encode(masked) != nil {
			return nil, false
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
	}}
	out, _ := ed.Rewrite(body)
	return out
}

// Mentions reports whether body holds v — of MinKnownLen or more — as it is
// or as a JSON string's content: whether a masker of v (NewKnown) has
// anything to do in what body is carried into.
func Mentions(body []byte, v string) bool {
	if len(v) < MinKnownLen {
		return false
	}
	if bytes.Contains(body, []byte(v)) {
		return true
	}
	j := jsonContent(v)
	return j != v && bytes.Contains(body, []byte(j))
}
