package qwensim

import (
	"encoding/json"
	"strings"
	"testing"
)

// answerContent joins the content deltas of a streamed answer.
func answerContent(t *testing.T, stream string) string {
	t.Helper()
	var text strings.Builder
	for _, line := range strings.Split(stream, "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %s: %v", data, err)
		}
		for _, c := range ev.Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	return text.String()
}

// A plan's steps follow the thread, as a model's answer follows what it
// reads: a turn asked again from the same parent (the proxy's retry of an
// answer that broke off, Codex's "Reconnecting... 1/5") is given the same
// step. The plan was the chat's, and the cut answer used its step up: the
// retried turn was only thanked, and the agent's task ended a step short.
func TestARetriedTurnTakesTheSameStepOfThePlan(t *testing.T) {
	srv, send, first := twoStepPlan(t)
	const result = "Result of bash (call_1):\n"
	srv.Inject(Fault{CutAfter: 2})
	send(first.answerID, result)
	got := answerContent(t, send(first.answerID, result))
	if want := `Thanks: bash said "". Next:` + "\n" + callBlock("bash", `{"command": "cat a.txt"}`); got != want {
		t.Errorf("the retried turn answered %q; want %q", got, want)
	}
}

// Qwen Code does not ask a cut turn again but resumes it: the proxy tells
// the cut turn (its tool results, then the part of the answer) as earlier
// conversation, under the same parent, and Qwen Code's message asking to go
// on. A model goes on with its answer: the results' acknowledgement and the
// plan's next step. The simulator answered the message as a new turn
// ("You said: …"), and the agent's task ended a step short.
func TestAResumedTurnGoesOnWithThePlan(t *testing.T) {
	srv, send, first := twoStepPlan(t)
	const result = "Result of bash (call_1):\nExit Code: 0"
	srv.Inject(Fault{CutAfter: 2})
	send(first.answerID, result)
	resume := "[Earlier conversation, for context]\n\n" + result + "\n\nAssistant: Thanks: bash\n\n" + replayClose + "\n\n" +
		"The connection dropped mid-response. Resume directly — no apology, no recap of what you were doing. " +
		"Pick up mid-thought if that is where the cut happened. Break remaining work into smaller pieces.\n\n" +
		"The previous assistant response ended with this exact suffix. Do not repeat any line, table row, code line, " +
		"or prose that already appears in it; output only text that comes after this suffix:\n\n" +
		"<previous_response_suffix>\nThanks: bash\n</previous_response_suffix>"
	got := answerContent(t, send(first.answerID, resume))
	if want := `Thanks: bash said "Exit Code: 0". Next:` + "\n" + callBlock("bash", `{"command": "cat a.txt"}`); got != want {
		t.Errorf("the resumed turn answered %q; want %q", got, want)
	}
}

// twoStepPlan starts a simulator and a chat whose first turn, sent with
// send(parent, content), plans two bash calls: its answer (first) is the
// first call.
func twoStepPlan(t *testing.T) (srv *Server, send func(parent, content string) string, first turnSeen) {
	t.Helper()
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	const told = "[System instructions]\nUse the tools.\n\n### bash\n[End of system instructions]\n\n"
	chatID := newChat2026(t, srv, nil, "normal")
	send = func(parent, content string) string {
		t.Helper()
		body := completion(chatID, "normal", "qwen3-max", false, content)
		if parent != "" {
			body = strings.ReplaceAll(body, `"parent_id":null`, `"parent_id":"`+parent+`"`)
		}
		_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
		return b
	}
	return srv, send, readTurn(t, send("", told+`use bash with {"command": "echo a > a.txt"}, then use bash with {"command": "cat a.txt"}`))
}
