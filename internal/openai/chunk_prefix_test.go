package openai

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// TestAChunkPrefixIsBuiltInOneBuffer: a stream's chunk prefix is built in
// one buffer (the encoder and it: two allocations; six when the prefix was
// grown from its first literal) and is what it was, whatever the id and model
// hold (escapes make it grow past its size, still the same bytes).
func TestAChunkPrefixIsBuiltInOneBuffer(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		NewChatChunkEncoder("chatcmpl-0cac4f88-3ce7-4b19-8ebb-632ca66c512c", "qwen3-max", 1_780_000_000)
	}); n != 2 {
		t.Errorf("%v allocations", n)
	}
	for _, tc := range []struct {
		id, model string
		created   int64
	}{
		{"chatcmpl-1", "qwen3-max", 1_780_000_000},
		{"", "", 0},
		{"a\"b<\\>\u2028\x01", "m\u00e9\"\"\"\"\"\"\"\"\"\"\"\"", -9223372036854775808},
	} {
		for _, legacy := range []bool{false, true} {
			object := map[bool]string{false: "chat.completion.chunk", true: "text_completion"}[legacy]
			enc := newChunkEncoder(legacy, object, tc.id, tc.model, tc.created)
			id, _ := json.Marshal(tc.id)
			model, _ := json.Marshal(tc.model)
			want := `data: {"id":` + string(id) + `,"object":"` + object + `","created":` + strconv.FormatInt(tc.created, 10) + `,"model":` + string(model) + `,"choices":[`
			if !bytes.Equal(enc.prefix, []byte(want)) {
				t.Errorf("prefix %s\nwant   %s", enc.prefix, want)
			}
		}
	}
}
