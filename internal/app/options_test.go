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
		{nil, 500 * time.Millisecond},
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

// By default a commit gathers what half a second brings, up to 500 calls:
// at a few hundred calls a second a commit of a few dozen cost the recorder
// twice the CPU a call (BENCHMARKS.md, fifth session).
func TestRecorderCommitsGatherHalfASecond(t *testing.T) {
	cfg, err := config.Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o := recorderOptions(cfg, nil); o.Linger != 500*time.Millisecond || o.BatchSize != 500 {
		t.Errorf("linger %v, batch %d; want 500 ms, 500", o.Linger, o.BatchSize)
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
