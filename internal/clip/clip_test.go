package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHeadAndMiddleBoundAndStayUTF8(t *testing.T) {
	if got := Head("short", 10); got != "short" {
		t.Errorf("Head of a short string: %q", got)
	}
	if got := Middle("short", 10); got != "short" {
		t.Errorf("Middle of a short string: %q", got)
	}
	long := "begin " + strings.Repeat("é", 50_000) + " end"
	for name, got := range map[string]string{"Head": Head(long, 128), "Middle": Middle(long, 1024)} {
		if len(got) > 1100 || !utf8.ValidString(got) {
			t.Errorf("%s: %d bytes, valid UTF-8 %v", name, len(got), utf8.ValidString(got))
		}
		if !strings.HasPrefix(got, "begin ") {
			t.Errorf("%s lost the beginning: %.40q", name, got)
		}
	}
	if got := Middle(long, 1024); !strings.HasSuffix(got, " end") || !strings.Contains(got, "bytes left out") {
		t.Errorf("Middle lost the end or the note of the cut: …%q", got[len(got)-80:])
	}
}
