package session

import (
	"strings"
	"unicode/utf8"
)

// What Qwen Code keeps of a cut answer it resumed: the part it got, and of
// the resumed answer what follows the part — the answer less a start that
// repeats the part's end. This is its getRecoveryContinuationSuffix
// (@qwen-code/qwen-code 0.24.4, chunks/chunk-DPEB6S2R.js; its
// mergeDeliveredPrefix keeps `deliveredText + suffix`), rule for rule:
//
//  1. either text empty: the answer whole;
//  2. the part ends with the whole answer, a significant overlap: nothing;
//  3. the longest start of the answer, within its first 4000 UTF-16 code
//     units, that the part ends with, when significant: the answer after
//     it;
//  4. an answer that begins (after its whitespace) with Markdown structure
//     (a table row, a heading, a fence, a quote, a list item) and whose
//     longest start of 12 bytes or more is found in the part's last 400
//     code units at a line's beginning: the answer after that whitespace
//     and that start, a newline put back before it when the start ended a
//     line, the part does not end one and the rest does not begin one;
//  5. otherwise the answer whole.
//
// An overlap is significant at 4 bytes (UTF-8) when it holds one of # | `
// or a newline, else at 6 bytes and 4 characters. Qwen Code measures in
// UTF-16 code units; here the texts are cut on characters only, which is
// the same but for a start that would end inside a surrogate pair.
//
// Each rule costs at most the answer's length, or a bound (4000 and 400
// code units): rule 3 is one string search (KMP) over the bounded start
// and end, where Qwen Code tries every length in turn.
const (
	resumeOverlapMaxScan        = 4000 // RECOVERY_OVERLAP_MAX_SCAN_CHARS
	resumeOverlapMinBytes       = 6    // RECOVERY_OVERLAP_MIN_BYTES
	resumeOverlapMinChars       = 4    // RECOVERY_OVERLAP_MIN_CHARS
	resumeStructuralMinBytes    = 4    // RECOVERY_STRUCTURAL_OVERLAP_MIN_BYTES
	resumeContainedMinBytes     = 12   // RECOVERY_CONTAINED_PREFIX_MIN_BYTES
	resumeContainedTailLookback = 400  // RECOVERY_CONTAINED_TAIL_LOOKBACK_CHARS
)

// resumedRest is what Qwen Code keeps, after part, of answer, the resumed
// answer: part and it run together are the answer it resends.
func resumedRest(part, answer string) string {
	if part == "" || answer == "" {
		return answer
	}
	if strings.HasSuffix(part, answer) && significantOverlap(answer) {
		return ""
	}
	if n := longestOverlap(part, answer); n > 0 && significantOverlap(answer[:n]) {
		// Significance grows with the overlap: no shorter one is
		// significant when the longest is not.
		return answer[n:]
	}
	if n := replayedStart(part, answer); n > 0 {
		rest := answer[n:]
		if rest != "" && answer[n-1] == '\n' && !strings.HasSuffix(part, "\n") && rest[0] != '\n' {
			rest = "\n" + rest
		}
		return rest
	}
	return answer
}

// significantOverlap is Qwen Code's isSignificantRecoveryOverlap.
func significantOverlap(s string) bool {
	if strings.ContainsAny(s, "#|`\n") && len(s) >= resumeStructuralMinBytes {
		return true
	}
	return len(s) >= resumeOverlapMinBytes && utf8.RuneCountInString(s) >= resumeOverlapMinChars
}

// longestOverlap is the length in bytes of the longest start of answer,
// of at most resumeOverlapMaxScan UTF-16 code units, that part ends with
// (0 for none). Both texts being whole characters, a match in bytes is
// one in characters.
func longestOverlap(part, answer string) int {
	pattern := answer[:prefixUnits(answer, resumeOverlapMaxScan)]
	text := part[len(part)-suffixBytes(part, resumeOverlapMaxScan):]
	if pattern == "" {
		return 0
	}
	// Knuth–Morris–Pratt: the state after the text is the longest start of
	// the pattern the text ends with.
	fail := make([]int32, len(pattern))
	for i, k := 1, 0; i < len(pattern); i++ {
		for k > 0 && pattern[i] != pattern[k] {
			k = int(fail[k-1])
		}
		if pattern[i] == pattern[k] {
			k++
		}
		fail[i] = int32(k)
	}
	k := 0
	for i := 0; i < len(text); i++ {
		if k == len(pattern) {
			k = int(fail[k-1])
		}
		for k > 0 && text[i] != pattern[k] {
			k = int(fail[k-1])
		}
		if text[i] == pattern[k] {
			k++
		}
	}
	return k
}

// replayedStart is Qwen Code's findContainedRecoveryPrefixReplayLength, in
// bytes: the length of answer's leading whitespace and of the longest
// start after it (12 bytes or more) found at a line's beginning in part's
// last resumeContainedTailLookback code units, when answer begins with
// Markdown structure; 0 otherwise.
func replayedStart(part, answer string) int {
	trimmed := strings.TrimLeftFunc(answer, isJSSpace)
	lead := len(answer) - len(trimmed)
	if !markdownAnchored(trimmed) {
		return 0
	}
	from := len(part) - suffixBytes(part, resumeContainedTailLookback)
	tail := part[from:]
	// Qwen Code's tail begins at a code unit, which counts as a line's
	// beginning; one begun inside a surrogate pair (the pair left out
	// here) matches nothing there.
	startsLine := from == 0 || unitLen(tail) == resumeContainedTailLookback
	best := 0
	for at := 0; at < len(tail); at++ {
		if at == 0 && !startsLine || at > 0 && tail[at-1] != '\n' {
			continue
		}
		best = max(best, commonStart(tail[at:], trimmed))
	}
	if best < resumeContainedMinBytes {
		return 0
	}
	return lead + best
}

// commonStart is the length in bytes of the longest start a and b share,
// cut back to whole characters.
func commonStart(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	for n > 0 && n < len(b) && !utf8.RuneStart(b[n]) {
		n--
	}
	return n
}

// markdownAnchored reports whether s begins as Qwen Code's
// startsWithMarkdownStructuralAnchor has it:
// ^(\|[^\n]*\|[^\n]*\||\|[\s\-:]+\||#{1,6} |```|>\s|[-*+] |\d+\. ).
func markdownAnchored(s string) bool {
	switch {
	case s == "":
		return false
	case s[0] == '|':
		line, _, _ := strings.Cut(s, "\n")
		if strings.Count(line, "|") >= 3 {
			return true // a table row
		}
		rest := strings.TrimLeftFunc(s[1:], func(r rune) bool { return r == '-' || r == ':' || isJSSpace(r) })
		return len(rest) < len(s)-1 && strings.HasPrefix(rest, "|") // a table's rule
	case s[0] == '#':
		n := len(s) - len(strings.TrimLeft(s, "#"))
		return n <= 6 && strings.HasPrefix(s[n:], " ")
	case strings.HasPrefix(s, "```"):
		return true
	case s[0] == '>':
		r, _ := utf8.DecodeRuneInString(s[1:])
		return len(s) > 1 && isJSSpace(r)
	case s[0] == '-' || s[0] == '*' || s[0] == '+':
		return strings.HasPrefix(s[1:], " ")
	}
	n := len(s) - len(strings.TrimLeft(s, "0123456789"))
	return n > 0 && strings.HasPrefix(s[n:], ". ")
}

// isJSSpace is JavaScript's \s: Go's unicode.IsSpace less U+0085, plus
// U+FEFF.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// prefixUnits is the length in bytes of s's longest start of at most n
// UTF-16 code units, cut on characters.
func prefixUnits(s string, n int) int {
	units := 0
	for i, r := range s {
		units += runeUnits(r)
		if units > n {
			return i
		}
	}
	return len(s)
}

// suffixBytes is the length in bytes of s's longest end of at most n
// UTF-16 code units, cut on characters.
func suffixBytes(s string, n int) int {
	units, i := 0, len(s)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if units+runeUnits(r) > n {
			break
		}
		units += runeUnits(r)
		i -= size
	}
	return len(s) - i
}

// unitLen is s's length in UTF-16 code units (JavaScript's length).
func unitLen(s string) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r)
	}
	return n
}

func runeUnits(r rune) int {
	if r > 0xffff {
		return 2
	}
	return 1
}
