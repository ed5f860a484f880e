package qwen

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// slowDecode is the general decoder's reading of a delta event.
func slowDecode(t testing.TB, data string) Event {
	var raw rawEvent
	if err := json.Unmarshal([]byte(data), &raw); err != nil {
		t.Fatal(err)
	}
	d := raw.Choices[0].Delta
	ev := Event{Kind: EventDelta, Phase: d.Phase, Content: d.Content, Finished: d.Status == "finished", ResponseID: raw.ResponseID}
	if ev.Phase == "" {
		ev.Phase = PhaseAnswer
	}
	if raw.Usage != nil {
		ev.HasUsage, ev.Usage = true, *raw.Usage
	}
	return ev
}

func TestFastDecoderAgreesWithEncodingJSON(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	events := []string{
		`{"choices":[{"delta":{"content":"a\"b\\c\n\u00e9\ud83c\udf0c\/","phase":"think","status":"typing"}}],"usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3,"input_tokens_details":{"text_tokens":1},"prompt_tokens_details":{"cached_tokens":0}},"response_id":"r","timestamp":5}`,
		`{"choices": [{"delta": {"content": "", "role": "assistant", "status": "finished", "phase": "answer"}}], "response_id": "x"}`,
		`{"choices":[{"delta":{"content":"x"}},{"delta":{"content":"ignored"}}]}`,
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if d, ok := strings.CutPrefix(line, "data: "); ok && strings.HasPrefix(d, `{"choices"`) {
			events = append(events, d)
		}
	}
	last := "" // as the stream does: each event gets the one before's response id
	for _, data := range events {
		fast, ok := decodeDelta([]byte(data), last, nil)
		last = fast.ResponseID
		if !ok {
			t.Fatalf("fast path refused %s", data)
		}
		if slow := slowDecode(t, data); !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s:\nfast %+v\nslow %+v", data, fast, slow)
		}
	}
}

func TestFastDecoderLeavesOtherShapesAlone(t *testing.T) {
	for _, data := range []string{
		`{"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r"}}`,
		`{"success":false,"data":{"code":"RateLimited"}}`,
		`{"error": {"code": "x"}, "response_id": "r1"}`,
		`{"choices":[{"delta":{"content":"","phase":"thinking_summary","extra":{"summary_thought":{"content":["a"]}}}}]}`,
		`{"choices":[]}`,
		`{"choices":[{"delta":{"content":"unterminated}}]}`,
		`{"choices":[{"delta":{"content":"x"}}]} trailing`,
		`{"choices":[{"delta":{"content":"bad \q escape"}}]}`,
		// Keys encoding/json would take for known ones, in other cases,
		// including a longer one: Kelvin sign K folds to k.
		`{"choices":[{"delta":{"content":"x"}}],"usage":{"INPUT_TOKENS":1}}`,
		"{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":{\"input_to\u212aens\":1}}",
	} {
		if ev, ok := decodeDelta([]byte(data), "r1", nil); ok {
			t.Errorf("fast path took %s as %+v", data, ev)
		}
	}
}

func FuzzFastDecoder(f *testing.F) {
	f.Add(`{"choices":[{"delta":{"content":"hi","phase":"answer","status":"typing"}}],"usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3}}`, "")
	f.Add(`{"choices":[{"delta":{"content":"\u00e9\n"}}]}`, "")
	f.Add(`{"choices":[{"delta":{"content":"a"}}],"response_id":"r1"}`, "r1")
	f.Add(`{"choices":[{"delta":{"content":"a"}}],"response_id":"r\\1"}`, `r\\1`)
	f.Fuzz(func(t *testing.T, data, lastResponseID string) {
		fast, ok := decodeDelta([]byte(data), lastResponseID, nil)
		if !ok {
			return
		}
		// Whatever the fast path accepts, encoding/json must read the same.
		var raw rawEvent
		if err := json.Unmarshal([]byte(data), &raw); err != nil || len(raw.Choices) == 0 {
			t.Fatalf("fast path accepted %q, encoding/json did not (%v)", data, err)
		}
		if slow := slowDecode(t, data); !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %+v slow %+v", data, fast, slow)
		}
	})
}
