package config

import (
	"io"
	"strings"
	"testing"
)

// A whole number with more digits than an int64 holds is out of range, said
// so with the bound, not "not a whole number": HISTORY_READ_TIMEOUT=
// 99999999999999999999 was told it was no number at all, where
// 9223372036855 was told its bound.
func TestTooManyDigitsAreOutOfRange(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"HISTORY_READ_TIMEOUT", "99999999999999999999", "must be at most 9223372036854 ms"},
		{"SESSION_TIMEOUT", "-99999999999999999999", "must be at least"},
		{"SESSION_CACHE_SIZE", "99999999999999999999", "must be between 1 and 100000000"},
		{"RETENTION_MAX_BYTES", "99999999999999999999", "must be at most 9223372036854775807"},
		{"RETENTION_MAX_BYTES", "-99999999999999999999", "must be at least 0"},
		{"HISTORY_READ_TIMEOUT", "1.5", "not a whole number of milliseconds"},
	} {
		_, err := Load(nil, env(map[string]string{c.name: c.value}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%s: %v, want %q", c.name, c.value, err, c.want)
		}
	}
}
