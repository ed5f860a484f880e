package qwen

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Qwen's usage says how much of the input it read from its prompt cache:
// as usage.cached_tokens in the 2025 recordings, as
// usage.prompt_tokens_details.cached_tokens in 2026 (qwen-wire.md §4.2, S6,
// S7). Both are read, on the events the shape reads as on the first, which
// the scanner reads; they were skipped as numbers nobody reads.
func TestCachedTokensAreRead(t *testing.T) {
	for _, c := range []struct {
		name, usage, want string
	}{
		{"2025", `"cached_tokens": 12`, `"cached_tokens":12`},
		{"2026", `"prompt_tokens_details": {"cached_tokens": 12}`, `"prompt_tokens_details":{"cached_tokens":12}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString(`data: {"response.created":{"chat_id": "c1", "parent_id": "p1", "response_id":"r1"}} ` + "\n\n")
			for i := 1; i <= 3; i++ {
				fmt.Fprintf(&b, `data: {"choices": [{"delta": {"role": "assistant", "content": "w%d", "phase": "answer", "status": "typing"}}], `+
					`"usage": {"input_tokens": 33, "output_tokens": %d, "characters": 0, "total_tokens": %d, "input_tokens_details": {"text_tokens": 33}, `+
					`"output_tokens_details": {"text_tokens": %d}, %s}, "response_id": "r1"}`+"\n\n", i, i, 33+i, i, c.usage)
			}
			s := NewStream(io.NopCloser(strings.NewReader(b.String())))
			deltas := 0
			for {
				ev, err := s.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if ev.Kind != EventDelta {
					continue
				}
				deltas++
				got, err := json.Marshal(ev.Usage)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(got), c.want) {
					t.Errorf("delta %d: usage %s, want it to carry %s", deltas, got, c.want)
				}
			}
			if deltas != 3 {
				t.Fatalf("%d deltas, want 3", deltas)
			}
		})
	}
}
