package refresh

import (
	"testing"
	"time"
)

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, MaxDelay, MaxDelay}
	for i, w := range want {
		if got := Backoff(time.Second, i+1); got != w {
			t.Errorf("after %d failures: %s, want %s", i+1, got, w)
		}
	}
}
