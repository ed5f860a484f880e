package redact

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// URLPasswordsWithin is URLPasswords of the whole body as far as a record
// that keeps its first window bytes reads it: the same passwords, the same
// length masked, and the same beginning (all but the URL the window's end
// may cut), without masking the rest.
func TestURLPasswordsWithinIsTheWholesBeginning(t *testing.T) {
	const window = 4 << 10
	url := "postgres://app:Zq8-sw0rd!x@db.internal/app "
	long := "postgres://app:" + strings.Repeat("k9", 40) + "@db.internal/app " // longer than its mask
	filler := func(n int) string { return strings.Repeat("word ", n/5) }
	for name, body := range map[string]string{
		"none":           filler(3 * window),
		"short":          filler(100),
		"early":          url + filler(3*window),
		"late":           filler(2*window) + url,
		"across the end": filler(window-10) + url + filler(window),
		"everywhere":     strings.Repeat(url+filler(500), 40),
		"shorter masked": strings.Repeat(long, window/len(long)+3),
	} {
		want, wantHidden := URLPasswords([]byte(body))
		got, hidden, whole := URLPasswordsWithin([]byte(body), window)
		if whole != len(want) || !slices.Equal(hidden, wantHidden) {
			t.Fatalf("%s: whole %d, want %d; hidden %q, want %q", name, whole, len(want), hidden, wantHidden)
		}
		if len(want) <= window && !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes masked, want the whole's %d", name, len(got), len(want))
		}
		keep := min(len(got), len(want), window-len(url))
		if len(got) < min(len(want), window-len(url)) || !bytes.Equal(got[:keep], want[:keep]) {
			t.Fatalf("%s: %d bytes, not the whole's beginning", name, len(got))
		}
	}
	if got, hidden, whole := URLPasswordsWithin([]byte(url), 0); string(got) != "postgres://app:"+Placeholder+"@db.internal/app " || len(hidden) != 1 || whole != len(got) {
		t.Fatalf("no window: %q %q %d", got, hidden, whole)
	}
}
