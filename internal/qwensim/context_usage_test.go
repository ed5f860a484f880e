package qwensim

import (
	"encoding/json"
	"strings"
	"testing"
)

// turnSeen is what a client reads of one streamed answer: the ids of its
// response.created and its last usage.
type turnSeen struct {
	userID, answerID         string
	input, output, reasoning int
}

func readTurn(t *testing.T, stream string) turnSeen {
	t.Helper()
	var seen turnSeen
	for _, line := range strings.Split(stream, "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Created *struct {
				ParentID   string `json:"parent_id"`
				ResponseID string `json:"response_id"`
			} `json:"response.created"`
			Usage *struct {
				Input   int `json:"input_tokens"`
				Output  int `json:"output_tokens"`
				Details struct {
					Reasoning int `json:"reasoning_tokens"`
				} `json:"output_tokens_details"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %s: %v", data, err)
		}
		if ev.Created != nil {
			seen.userID, seen.answerID = ev.Created.ParentID, ev.Created.ResponseID
		}
		if u := ev.Usage; u != nil {
			seen.input, seen.output, seen.reasoning = u.Input, u.Output, u.Details.Reasoning
		}
	}
	if seen.answerID == "" || seen.input == 0 || seen.output == 0 {
		t.Fatalf("no created event or usage: %.600s", stream)
	}
	return seen
}

// Qwen's model reads the whole thread a message hangs under, and its
// usage counts it: a turn's input_tokens are the earlier messages' on its
// thread, the answers' on it (their text: an answer's thinking is not
// carried on), and its own message's. A message hung under an earlier
// user message (a branch) counts that thread, not the answer beside it.
// Until 2026-12-06 the simulator counted the new message alone, as if
// every turn were a chat's first. Each count is checked against what the
// simulator itself says of the parts: a message's own count is its input
// as a new chat's first.
func TestAContinuationsInputTokensCountItsThread(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	send := func(chatID, parent string, thinking bool, content string) turnSeen {
		t.Helper()
		body := completion(chatID, "normal", "qwen3-max", thinking, content)
		if parent != "" {
			body = strings.ReplaceAll(body, `"parent_id":null`, `"parent_id":"`+parent+`"`)
		}
		_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
		return readTurn(t, b)
	}
	alone := func(content string) int {
		return send(newChat2026(t, srv, nil, "normal"), "", false, content).input
	}
	const first, second, branch = "tell me about the sea and its tides", "and the moon, please", "what about rivers instead"

	chatID := newChat2026(t, srv, nil, "normal")
	t1 := send(chatID, "", true, first)
	if t1.input != alone(first) || t1.reasoning == 0 {
		t.Fatalf("a chat's first turn: input %d, alone %d; reasoning %d", t1.input, alone(first), t1.reasoning)
	}
	answer1 := t1.output - t1.reasoning
	t2 := send(chatID, t1.answerID, false, second)
	if want := t1.input + answer1 + alone(second); t2.input != want {
		t.Errorf("the second turn's input_tokens %d, want %d (first message %d + its answer %d + this message %d)",
			t2.input, want, t1.input, answer1, alone(second))
	}
	t3 := send(chatID, t2.answerID, false, second)
	if want := t2.input + (t2.output - t2.reasoning) + alone(second); t3.input != want {
		t.Errorf("the third turn's input_tokens %d, want %d", t3.input, want)
	}
	b := send(chatID, t1.userID, false, branch)
	if want := t1.input + alone(branch); b.input != want {
		t.Errorf("a branch under the first message: input_tokens %d, want %d (that message %d + this one %d)", b.input, want, t1.input, alone(branch))
	}
}
