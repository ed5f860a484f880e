package historyapi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/store/storetest"
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
		{"now", now},
		{" NOW ", now},
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

// A time before 1970 reads as 1970's first instant, before every call: it
// read as the zero time, which the filters take for "not given", so
// end=0001-01-01 listed every call instead of none, and a start after such an
// end was not refused.
func TestATimeBefore1970IsBeforeEveryCall(t *testing.T) {
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	for _, in := range []string{"0001-01-01", "0001-01-01T00:00:00Z", "0000-12-31T23:00:00-01:00", "1969-12-31", "1900-01-01T00:00:00Z"} {
		if got, err := ParseTime(in, now); err != nil || !got.Equal(time.Unix(0, 0)) {
			t.Errorf("ParseTime(%q) = %v, %v; want 1970-01-01T00:00:00Z", in, got, err)
		}
	}
	storetest.Each(t, func(t *testing.T, dbURL string) {
		a, st := apiOver(t, dbURL)
		seedCalls(t, st, 2)
		for target, want := range map[string]int{
			"/v1/requests?end=0001-01-01":                           0,
			"/v1/responses?end=0001-01-01T00:00:00Z":                0,
			"/v1/requests?start=0001-01-01":                         2,
			"/v1/requests?start=2026-05-01&end=0001-01-01":          400,
			"/v1/export?format=csv&start=2026-05-01&end=0001-01-01": 400,
		} {
			handler := a.ListRequests
			switch {
			case strings.HasPrefix(target, "/v1/responses"):
				handler = a.ListResponses
			case strings.HasPrefix(target, "/v1/export"):
				handler = a.Export
			}
			w := serve(handler, "GET", target)
			if want == 400 {
				if w.Code != 400 || !strings.Contains(w.Body.String(), "invalid_date_range") {
					t.Errorf("GET %s: %d %s, want 400 invalid_date_range", target, w.Code, w.Body)
				}
				continue
			}
			var got struct{ Total int }
			if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil || got.Total != want {
				t.Errorf("GET %s: %d %s, want %d calls", target, w.Code, w.Body, want)
			}
		}
	})
}
