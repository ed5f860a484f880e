package historyapi

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// UnixSecondsBelow is the magnitude rule of Unix times: a whole number below
// it is seconds, from it on milliseconds. 100,000,000,000 seconds is the year
// 5138, and as milliseconds it is March 1973, before any call was recorded, so
// no time a person means is read at the wrong scale.
const UnixSecondsBelow = 100_000_000_000

// TimeFormats says, for error messages and help, which times are accepted.
const TimeFormats = "an RFC 3339 time (2026-05-01T12:00:00Z), a date (2026-05-01, midnight UTC), " +
	"an age before now (90s, 30m, 2h, 7d, 2w), now, or a Unix time (seconds below 1e11, milliseconds from it)"

// ParseTime reads a time the way the history API and the CLI accept it:
// RFC 3339 (any offset, optional fraction), a plain date (midnight UTC), a
// relative age before now (a number and s, m, h, d or w: 2h, 7d), or a Unix
// time in seconds or milliseconds (see UnixSecondsBelow). A time before 1970
// is 1970's first instant.
func ParseTime(v string, now time.Time) (time.Time, error) {
	t, err := parseTime(v, now)
	if err != nil {
		return t, err
	}
	// Every call is recorded in Unix time, after 1970; an earlier time read
	// as itself could be the zero time, which a range takes for "not given"
	// (end=0001-01-01 held every call), so it is 1970's first instant.
	if epoch := time.Unix(0, 0); t.Before(epoch) {
		return epoch, nil
	}
	return t, nil
}

func parseTime(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, errors.New("empty time")
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return time.Time{}, fmt.Errorf("%q: a Unix time is not negative", v)
		}
		if n < UnixSecondsBelow {
			return time.Unix(n, 0), nil
		}
		return time.UnixMilli(n), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if age, ok := ParseAge(v); ok {
		return now.Add(-age), nil
	}
	// What the dashboard's Until shows when left empty, typed in: it was
	// refused as no time at all.
	if strings.EqualFold(v, "now") {
		return now, nil
	}
	return time.Time{}, fmt.Errorf("%q is not %s", v, TimeFormats)
}

// ParseAge reads a non-negative age: a whole number followed by s, m, h, d
// (24 h) or w (7 d), or any Go duration ("1h30m"). A number without a unit
// is refused, 0 too (Go's durations take a bare 0: an age of nothing, which
// `prune --older-than 0` read as "everything").
func ParseAge(v string) (time.Duration, bool) {
	if strings.TrimLeft(v, "0123456789.") == "" {
		return 0, false
	}
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if len(v) >= 2 {
		if unit, ok := units[v[len(v)-1]]; ok {
			if n, err := strconv.ParseInt(v[:len(v)-1], 10, 64); err == nil && n >= 0 && n <= int64(100*365*24*time.Hour/unit) {
				return time.Duration(n) * unit, true
			}
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, true
	}
	return 0, false
}

// FormatTime shows a time to a person: local time with its zone.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}
