package session

import (
	"strings"
	"testing"
)

// What Qwen Code keeps of a resumed answer after the part it got: each
// case's want is what its own getRecoveryContinuationSuffix
// (@qwen-code/qwen-code 0.24.4, run under Node) returned for the two texts.
func TestAResumedAnswerLosesTheStartThatRepeatsThePartsEndAsQwenCodeMergesIt(t *testing.T) {
	long := strings.Repeat("a", 4500)
	cases := []struct {
		name, part, answer, want string
	}{
		{"an overlap of six bytes", "Once upon a time", "a time, there was", ", there was"},
		{"an overlap of five bytes, too short", "Once upon", " upon a time.", " upon a time."},
		{"the answer the part's end", "The end. The end.", "The end.", ""},
		{"a Markdown overlap of four bytes", "x\n## U", "## Usage\n", "sage\n"},
		{"a Markdown overlap of three bytes, too short", "x\n## ", "## Usage\n", "## Usage\n"},
		{"a table row of the part's repeated", "Intro\n| aa | bb |\n| c", "| aa | bb |\nmore", "\nmore"},
		{"a table row repeated after whitespace", "Intro\n| aa | bb |\n| c", "  | aa | bb |\n\nmore", "\nmore"},
		{"a line of prose repeated", "Intro\nsome line here\nx", "some line here\nmore", "some line here\nmore"},
		{"four characters of CJK", "我们今天讨论一下", "讨论一下这个问题", "这个问题"},
		{"two characters of CJK, too few", "今天讨论", "讨论问题", "讨论问题"},
		{"an overlap past 4000 code units", "bbbbbbbbbb" + long, long + "tail", strings.Repeat("a", 500) + "tail"},
		{"two emoji, too few characters", "hi 😀😀", "😀😀 there", "😀😀 there"},
		{"four emoji", "a 😀😀😀😀", "😀😀😀😀 b", " b"},
		{"no part", "", "answer", "answer"},
		{"no answer", "part", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resumedRest(c.part, c.answer); got != c.want {
				t.Fatalf("resumedRest(%q, %q) = %q, want %q", c.part, c.answer, got, c.want)
			}
		})
	}
}
