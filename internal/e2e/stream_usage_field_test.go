package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
)

// With stream_options.include_usage, OpenAI documents that every chunk of
// the stream carries a usage field, null on all but the last (the usage
// chunk); without it no chunk has one. The chunks before the usage chunk
// carried no usage field at all, so a client telling the usage chunk by the
// field's presence, or checking the documented null, was misled.
func TestIncludeUsagePutsANullUsageOnEveryOtherChunk(t *testing.T) {
	e := start(t, nil)
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"qwen3-max","stream":true,%s"messages":[{"role":"user","content":"count the chunks"}]}`},
		{"/v1/completions", `{"model":"qwen3-max","stream":true,%s"prompt":"count the legacy chunks"}`},
	} {
		for _, include := range []bool{true, false} {
			options := ""
			if include {
				options = `"stream_options":{"include_usage":true},`
			}
			body := fmt.Sprintf(c.body, options)
			data := sseData(t, postJSON(t, e, c.path, body, nil))
			if len(data) < 4 || data[len(data)-1] != "[DONE]" {
				t.Fatalf("%s: stream %q", body, data)
			}
			chunks := data[:len(data)-1]
			for i, chunk := range chunks {
				var fields map[string]json.RawMessage
				if err := json.Unmarshal([]byte(chunk), &fields); err != nil {
					t.Fatalf("%s: chunk %d: %v: %s", body, i, err, chunk)
				}
				usage, has := fields["usage"]
				last := i == len(chunks)-1
				switch {
				case !include && has:
					t.Fatalf("%s: chunk %d has a usage field without include_usage: %s", body, i, chunk)
				case include && last && (!has || string(usage) == "null" || string(fields["choices"]) != "[]"):
					t.Fatalf("%s: the last chunk is not the usage chunk: %s", body, chunk)
				case include && !last && string(usage) != "null":
					t.Fatalf("%s: chunk %d has no null usage: %s", body, i, chunk)
				}
			}
		}
	}
}
