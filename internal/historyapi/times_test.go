package historyapi

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
	}{
		{"2026-05-01T12:30:00Z", time.Date(2026, 5, 1, 12, 30, 0, 0, time.UTC)},
		{"2026-05-01T12:30:00.250+02:00", time.Date(2026, 5, 1, 10, 30, 0, 250e6, time.UTC)},
		{"2026-05-01", time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
		{"2h", now.Add(-2 * time.Hour)},
		{"7d", now.Add(-7 * 24 * time.Hour)},
		{"2w", now.Add(-14 * 24 * time.Hour)},
		{"90s", now.Add(-90 * time.Second)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"0d", now},
		// The magnitude rule: below 1e11 seconds, from it milliseconds.
		{"1778414400", time.Unix(1778414400, 0)},
		{"1778414400000", time.UnixMilli(1778414400000)},
		{"99999999999", time.Unix(99999999999, 0)},
		{"100000000000", time.UnixMilli(100000000000)},
		{"0", time.Unix(0, 0)},
	}
	for _, tc := range cases {
		got, err := ParseTime(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5", "2h ago", "7x", "-2h", "2026-13-01", "d", "99999999999999999999d"} {
		if got, err := ParseTime(bad, now); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", bad, got)
		}
	}
}

// An age names its unit: a bare number is refused, 0 as any other (it read
// as no age at all, and `prune --older-than 0` deleted everything).
func TestParseAgeWantsAUnit(t *testing.T) {
	for _, bad := range []string{"0", "00", "5", "1.5", "", "-1h", "h"} {
		if got, ok := ParseAge(bad); ok {
			t.Errorf("ParseAge(%q) = %v, want refused", bad, got)
		}
	}
	for in, want := range map[string]time.Duration{"0s": 0, "0d": 0, "90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "1.5h": 90 * time.Minute, "2w": 14 * 24 * time.Hour} {
		if got, ok := ParseAge(in); !ok || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
}

func TestFormatTimeShowsTheZone(t *testing.T) {
	if got := FormatTime(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).In(time.FixedZone("CEST", 7200))); len(got) < 20 {
		t.Errorf("FormatTime: %q has no zone", got)
	}
	if FormatTime(time.Time{}) != "-" {
		t.Error("a zero time shows as -")
	}
}
