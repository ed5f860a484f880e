package main

import "testing"

// A floor that added no measurable latency gives no ratio: the harness
// printed -72.97 when noise put the floor's p50 under direct's.
func TestRatioOfNothingIsNone(t *testing.T) {
	for _, c := range []struct{ a, b, want float64 }{{3, 2, 1.5}, {3, 0, 0}, {3, -0.04, 0}, {-1, 2, -0.5}} {
		if got := ratio(c.a, c.b); got != c.want {
			t.Errorf("ratio(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	if orNA(0) != "n/a" || orNA(1.234) != "1.23" {
		t.Errorf("orNA: %q %q", orNA(0), orNA(1.234))
	}
}
