package qwensim

import (
	"encoding/json"
	"strings"
	"testing"
)

// answerDeltas are the contents of a stream's answer deltas, in order.
func answerDeltas(t *testing.T, stream string) []string {
	t.Helper()
	var out []string
	for _, ev := range fixtureEvents([]byte(stream)) {
		var v struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
					Phase   string `json:"phase"`
					Status  string `json:"status"`
				} `json:"delta"`
			} `json:"choices"`
		}
		payload := strings.TrimSpace(strings.TrimPrefix(string(ev), "data: "))
		if json.Unmarshal([]byte(payload), &v) != nil || len(v.Choices) == 0 {
			continue
		}
		if d := v.Choices[0].Delta; d.Phase == "answer" && d.Status == "typing" {
			out = append(out, d.Content)
		}
	}
	return out
}

// Every client of Qwen's web API sends incremental_output true (qwen-wire.md
// §4.1, S1 recorded; qwen-2026.md §2.2, all 2026 peers): the stream then
// carries each piece once. Without it Qwen's streaming answers the whole
// text so far on every event (DashScope's incremental_output false, its
// default): a client that forgot it would show the answer repeated. The
// simulator answers so, so that a request without it fails here as at Qwen.
func TestIncrementalOutputFalseAnswersTheWholeTextSoFar(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	answers := map[bool][]string{}
	for _, incremental := range []bool{true, false} {
		chatID := newChat2026(t, srv, nil, "normal")
		body := completion(chatID, "normal", "qwen3-max", false, "explain religion to an alien")
		body = strings.Replace(body, `"stream":true,`, `"stream":true,"incremental_output":`+map[bool]string{true: "true", false: "false"}[incremental]+`,`, 1)
		body = strings.Replace(body, `"feature_config":{`, `"feature_config":{"output_schema":"phase",`, 1)
		_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
		deltas := answerDeltas(t, b)
		if len(deltas) < 3 {
			t.Fatalf("incremental_output %v: only %d answer deltas: %.400s", incremental, len(deltas), b)
		}
		answers[incremental] = deltas
	}
	whole := strings.Join(answers[true], "")
	cumulative := answers[false]
	for i := 1; i < len(cumulative); i++ {
		if !strings.HasPrefix(cumulative[i], cumulative[i-1]) || len(cumulative[i]) <= len(cumulative[i-1]) {
			t.Fatalf("incremental_output false: delta %d %q does not extend delta %d %q", i, cumulative[i], i-1, cumulative[i-1])
		}
	}
	if last := cumulative[len(cumulative)-1]; last != whole {
		t.Fatalf("incremental_output false: the last delta %q is not the whole answer %q", last, whole)
	}
}
