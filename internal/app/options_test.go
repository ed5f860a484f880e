package app

import (
	"io"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
)

// TestRecorderLingerFromTheConfiguration: RECORDER_LINGER reaches the
// recorder; 0 and RECORDER_SYNC mean "commit at once", which the recorder
// spells as a negative linger (its zero is its default).
func TestRecorderLingerFromTheConfiguration(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want time.Duration
	}{
		{nil, 100 * time.Millisecond},
		{map[string]string{"RECORDER_LINGER": "1000"}, time.Second},
		{map[string]string{"RECORDER_LINGER": "0"}, -1},
		{map[string]string{"RECORDER_LINGER": "1000", "RECORDER_SYNC": "true"}, -1},
	} {
		cfg, err := config.Load(nil, func(k string) string { return tc.env[k] }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if got := recorderOptions(cfg, nil).Linger; got != tc.want {
			t.Errorf("%v: linger %v, want %v", tc.env, got, tc.want)
		}
	}
}

// An empty host listens on every address, and the refusal to do so without
// keys says so: it read "refusing to listen on  without API keys".
func TestRefusalNamesAnEmptyHost(t *testing.T) {
	cfg, err := config.Load([]string{"--host", ""}, func(k string) string {
		if k == "DATABASE_PATH" {
			return t.TempDir() + "/none.db"
		}
		return ""
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkHost(cfg); err == nil || !strings.Contains(err.Error(), "listen on every address") {
		t.Fatalf("checkHost: %v", err)
	}
}
