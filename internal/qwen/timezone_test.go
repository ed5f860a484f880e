package qwen

import (
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin wherever the test runs
)

// TestTheTimezoneHeaderIsEachSecondsOwn: the header formatted once a
// second is what formatting the time gives, across seconds, locations
// and a daylight-saving change, and costs nothing within its second.
func TestTheTimezoneHeaderIsEachSecondsOwn(t *testing.T) {
	c := New(Config{BaseURL: "http://127.0.0.1:1"})
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 29, 0, 59, 58, 0, time.UTC) // 01:00 UTC: Berlin goes from +0100 to +0200
	for i := range 8 {
		at := start.Add(time.Duration(i) * 700 * time.Millisecond)
		for _, loc := range []*time.Location{time.UTC, berlin, berlin, time.UTC} {
			if got, want := c.timezone(at.In(loc)), browserTimezone(at.In(loc)); got != want {
				t.Fatalf("%v in %v: %q, want %q", at, loc, got, want)
			}
		}
	}
	now := time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC)
	c.timezone(now)
	if n := testing.AllocsPerRun(100, func() { c.timezone(now) }); n != 0 {
		t.Fatalf("%v allocations within a second", n)
	}
}
