package qwenproxy

import "testing"

// A message's text parts, joined by newlines as Text holds them, are run
// together again without them; a text whose breaks no longer stand on its
// newlines is taken as it is.
func TestTextPartsRunTogetherWithoutTheNewlinesThatJoinedThem(t *testing.T) {
	text, breaks := JoinTextParts([]string{"Once upon", "\n a time", "", "."})
	if text != "Once upon\n\n a time\n\n." {
		t.Fatalf("joined %q", text)
	}
	m := Message{Text: text, PartBreaks: breaks}
	if got := m.PartsRunTogether(); got != "Once upon\n a time." {
		t.Fatalf("run together %q (breaks %v)", got, breaks)
	}
	if one, none := JoinTextParts([]string{"whole"}); one != "whole" || none != nil {
		t.Fatalf("one part: %q %v", one, none)
	}
	for _, stale := range [][]int{{3}, {9, 9}, {40}} {
		m := Message{Text: text, PartBreaks: stale}
		if got := m.PartsRunTogether(); got != text {
			t.Fatalf("breaks %v off the newlines: %q", stale, got)
		}
	}
}
