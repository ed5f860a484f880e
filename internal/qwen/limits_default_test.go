package qwen

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// The default bound of an answer's stream holds the longest answer Qwen's
// model list allows, twice over (a thinking model streams its reasoning
// besides), at the bytes a token of the recorded 2026 stream: 16 MiB cut an
// agent's write of a 400 KB file, about 38,000 tokens of Qwen's 65,536.
func TestTheDefaultAnswerBoundHoldsTheLongestAnswer(t *testing.T) {
	stream, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	counts := regexp.MustCompile(`"output_tokens": (\d+)`).FindAllSubmatch(stream, -1)
	if len(counts) == 0 {
		t.Fatal("the recorded stream names no output_tokens")
	}
	tokens, _ := strconv.Atoi(string(counts[len(counts)-1][1]))
	perToken := float64(len(stream)) / float64(tokens)

	longest := 0
	for _, path := range []string{"../../testdata/qwen/models.json", "../qwensim/models.json"} {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`"max_generation_length":\s*(\d+)`).FindAllSubmatch(raw, -1) {
			n, _ := strconv.Atoi(string(m[1]))
			longest = max(longest, n)
		}
		if !json.Valid(bytes.TrimSpace(raw)) {
			t.Fatalf("%s is not JSON", path)
		}
	}
	if longest < 32768 {
		t.Fatalf("the model lists' longest answer is %d tokens: read wrong", longest)
	}
	if need := 2 * perToken * float64(longest); float64(DefaultMaxAnswerBytes) < need {
		t.Errorf("DefaultMaxAnswerBytes %d < %.0f: %d tokens at %.0f bytes a token, twice", DefaultMaxAnswerBytes, need, longest, perToken)
	}
}
