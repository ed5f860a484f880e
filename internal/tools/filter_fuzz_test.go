package tools

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzFilterTextIsParseText: whatever the answer and however it is cut into
// deltas, when the stream finds the calls Parse finds, the text it releases
// is the whole answer's text as Parse gives it, but for whitespace at the
// answer's start, which the stream sends before it can know a call follows.
// (They differ on calls by design where a call already announced to the
// client turns out broken: the stream keeps it, Parse leaves it text.)
func FuzzFilterTextIsParseText(f *testing.F) {
	call := `<tool_call>{"name":"get_weather","arguments":{"city":"Oslo"}}</tool_call>`
	for _, s := range []string{"Let me check.\n\n" + call + "\n", "a " + call + " b " + call, "no call \n", "<read_file><path>x</path></read_file>\n\n", "`" + call + "`\n"} {
		f.Add(s, uint8(1))
		f.Add(s, uint8(7))
	}
	f.Add("a\u00a0"+call+"\u2003 b\u0085", uint8(2))
	f.Add(`<tool_call>{"name":"read_file","arguments":{"path":"a</tool_call>b"}}</tool_call> c`, uint8(3))
	f.Add(`<tool_call>{"name":"read_file","arguments":{"path":"a}}</tool_call> "b" `+call, uint8(5))
	set := weatherSet(f, "")
	f.Fuzz(func(t *testing.T, answer string, step uint8) {
		n := int(step%16) + 1
		want, wantCalls := set.Parse(answer)
		fl := set.NewFilter()
		var got strings.Builder
		var calls []Call
		for i := 0; i < len(answer); {
			j := min(i+n, len(answer))
			for j < len(answer) && !utf8.RuneStart(answer[j]) {
				j++ // deltas are whole characters (Qwen's are JSON strings)
			}
			text, cs := fl.Feed(answer[i:j])
			got.WriteString(text)
			calls = append(calls, cs...)
			i = j
		}
		text, cs := fl.Flush()
		got.WriteString(text)
		if calls = append(calls, cs...); len(calls) != len(wantCalls) {
			return
		}
		lead := len(answer) - len(strings.TrimLeftFunc(answer, unicode.IsSpace))
		if strings.TrimLeftFunc(got.String(), unicode.IsSpace) != strings.TrimLeftFunc(want, unicode.IsSpace) || len(got.String()) > len(want)+lead {
			t.Fatalf("answer %q in pieces of %d\nstreamed %q\nwhole    %q", answer, n, got.String(), want)
		}
	})
}

// FuzzNextOpening holds the one-pass search for the earliest opening tag to
// the plain one it replaced (every tag looked for in turn, the earliest kept,
// <tool_call> first among equals).
func FuzzNextOpening(f *testing.F) {
	for _, s := range []string{"a <read_file> b", "<tool_call>{}", "x <get_weather><read_file>", "<<read_file>>", "<b>bold</b> <read_file", "<tool_call"} {
		f.Add(s)
	}
	set := weatherSet(f, "")
	f.Fuzz(func(t *testing.T, text string) {
		want, wantOpen, wantClose := -1, "", ""
		consider := func(o, c string) {
			if i := strings.Index(text, o); i >= 0 && (want < 0 || i < want) {
				want, wantOpen, wantClose = i, o, c
			}
		}
		consider(openTag, closeTag)
		for _, tool := range set.Tools {
			consider("<"+tool.Name+">", "</"+tool.Name+">")
		}
		at, open, close := set.nextOpening(text)
		if at != want || open != wantOpen || close != wantClose {
			t.Fatalf("%q: at %d %q %q, want %d %q %q", text, at, open, close, want, wantOpen, wantClose)
		}
	})
}
