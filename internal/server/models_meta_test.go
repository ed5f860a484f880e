package server

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
)

// A thinking model's entry gives its generation lengths as
// max_thinking_generation_length and max_summary_generation_length, with no
// max_generation_length (qwen-wire.md §3, recorded): the listing passes on
// the lengths Qwen gives and claims none it does not (it said 0, a model
// that can write nothing).
func TestModelListGivesTheGenerationLengthsQwenGives(t *testing.T) {
	b, err := os.ReadFile("../../testdata/qwen/models.json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Data []qwen.Model }
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	meta := map[string]map[string]any{}
	for _, m := range toOpenAIModels(list.Data, time.Now()) {
		var decoded struct{ Metadata map[string]any }
		raw, _ := json.Marshal(m)
		json.Unmarshal(raw, &decoded)
		meta[m.ID] = decoded.Metadata
	}
	want := map[string]map[string]any{
		"qwen3-max":     {"max_generation_length": 32768.0},
		"qwen3-vl-plus": {"max_thinking_generation_length": 81920.0, "max_summary_generation_length": 32768.0},
	}
	for id, lengths := range want {
		for _, key := range []string{"max_generation_length", "max_thinking_generation_length", "max_summary_generation_length"} {
			if got, want := meta[id][key], lengths[key]; got != want {
				t.Errorf("%s %s = %v, want %v", id, key, got, want)
			}
		}
	}
}
