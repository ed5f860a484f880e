package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// parentSentToQwen is the parent_id of the last completion the simulator
// received: the node of the chat its message was hung under.
func parentSentToQwen(t *testing.T, e *env) string {
	t.Helper()
	up := upstreamCompletions(t, e.sim)
	parent, _ := up[len(up)-1]["parent_id"].(string)
	return parent
}

// recordedQwenParent is the parent_id of the Qwen request recorded for the
// call behind a response id.
func recordedQwenParent(t *testing.T, e *env, id string) string {
	t.Helper()
	r := rowOfResponse(t, e, id)
	var body struct {
		ParentID string `json:"parent_id"`
	}
	if err := json.Unmarshal([]byte(r.QwenRequest.String), &body); err != nil {
		t.Fatalf("the Qwen request recorded for %s: %v (%q)", id, err, r.QwenRequest.String)
	}
	return body.ParentID
}

// TestPreviousResponseIDRetryRegenerates: an SDK's retry of a call whose
// answer it lost (the same body, the same previous_response_id) comes after
// that answer was given and recorded: the session's latest answer is the
// lost one. It branched off into a new chat told the whole chain again, in a
// second session; it is asked again in the session's chat, hung under the
// node the lost answer's turn hung under — the response it names — as Qwen's
// web client regenerates, told nothing again, and the session goes on from
// its answer — after a restart too (read back from the database; on
// PostgreSQL, under its lock).
func TestPreviousResponseIDRetryRegenerates(t *testing.T) {
	storetest.EachBackend(t, testPreviousResponseIDRetryRegenerates)
}

func testPreviousResponseIDRetryRegenerates(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	r1, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"My cat is called Ziggy."}`)
	chat1, _ := sentToQwen(t, e)
	retried := `{"model":"qwen3-max","input":"Alpha question","previous_response_id":"` + r1 + `"}`
	lost, _ := answeredResponse(t, e, retried)
	underR1 := parentSentToQwen(t, e)
	chats := e.sim.Chats()

	retry, text := answeredResponse(t, e, retried)
	chat, sent := sentToQwen(t, e)
	if chat != chat1 || e.sim.Chats() != chats || parentSentToQwen(t, e) != underR1 {
		t.Fatalf("the retry went to chat %s (want %s) under %s (want %s), %d chats opened", chat, chat1, parentSentToQwen(t, e), underR1, e.sim.Chats()-chats)
	}
	if strings.Contains(sent, "Ziggy") || lastUpstreamMessage(t, e) != "Alpha question" || !strings.Contains(text, "Ziggy") {
		t.Fatalf("the retry told Qwen %s, answered %q", sent, text)
	}
	if s := sessionOfResponse(t, r1); sessionOfResponse(t, retry) != s || recordedSession(t, e, retry) != s {
		t.Fatalf("the retry is in session %s (recorded in %s), not %s", sessionOfResponse(t, retry), recordedSession(t, e, retry), s)
	}
	e.sync()
	if got := recordedQwenParent(t, e, retry); got != underR1 {
		t.Fatalf("the retry's record says it hung under %s, not %s", got, underR1)
	}
	// Its response's parent_id is what a turn's is: the node Qwen made of
	// the message it sent (created.parent_id), beside the lost answer's
	// under the node both were asked under.
	if got, lostNode := rowOfResponse(t, e, retry).ParentID, rowOfResponse(t, e, lost).ParentID; got == "" || got == lostNode || got == underR1 || lostNode == underR1 {
		t.Fatalf("responses.parent_id: the retry's %q, the lost answer's %q (asked under %s)", got, lostNode, underR1)
	}
	// It replaced the lost answer: the conversation as it stands has two turns.
	if n := e.count(`SELECT message_count FROM sessions WHERE id = ?`, sessionOfResponse(t, retry)); n != 2 {
		t.Fatalf("message_count after the retry: %d, want 2", n)
	}

	// The session goes on from the retry's answer, not the lost one's.
	next, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"Gamma question","previous_response_id":"`+retry+`"}`)
	if chat, sent := sentToQwen(t, e); chat != chat1 || e.sim.Chats() != chats || strings.Contains(sent, "Ziggy") ||
		parentSentToQwen(t, e) == underR1 || !strings.Contains(text, "Alpha") || !strings.Contains(text, "Ziggy") {
		t.Fatalf("continuing the retry: chat %s, under %s, sent %s, answer %q", chat, parentSentToQwen(t, e), sent, text)
	}
	underRetry := parentSentToQwen(t, e)
	if sessionOfResponse(t, next) != sessionOfResponse(t, r1) {
		t.Fatalf("the retry's continuation is in session %s", sessionOfResponse(t, next))
	}
	// The lost answer, one the chat has gone past, branches off.
	answeredResponse(t, e, `{"model":"qwen3-max","input":"Delta question","previous_response_id":"`+lost+`"}`)
	if chat, _ := sentToQwen(t, e); chat == chat1 || e.sim.Chats() != chats+1 {
		t.Fatalf("continuing the lost answer: chat %s (the session's %s), %d chats opened", chat, chat1, e.sim.Chats()-chats)
	}

	// Read back from the database, the session still asks a retry again
	// in its chat.
	e.restart()
	chats = e.sim.Chats()
	if _, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"Gamma question","previous_response_id":"`+retry+`"}`); !strings.Contains(text, "Alpha") {
		t.Fatalf("the retry after a restart: %q", text)
	}
	if chat, sent := sentToQwen(t, e); chat != chat1 || e.sim.Chats() != chats || parentSentToQwen(t, e) != underRetry || strings.Contains(sent, "Ziggy") {
		t.Fatalf("the retry after a restart: chat %s under %s (want %s under %s), sent %s, %d chats opened",
			chat, parentSentToQwen(t, e), chat1, underRetry, sent, e.sim.Chats()-chats)
	}
}

// TestPreviousResponseIDRetryAfterAResponseNotStored: a retry whose chain
// holds a response made with store:false was a 400
// previous_response_not_stored, which SDKs do not retry (the chain could not
// be told again to a new chat): asked again in the session's chat, it needs
// nothing of the chain, and is answered.
func TestPreviousResponseIDRetryAfterAResponseNotStored(t *testing.T) {
	storetest.EachBackend(t, testPreviousResponseIDRetryAfterAResponseNotStored)
}

func testPreviousResponseIDRetryAfterAResponseNotStored(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	r1, _ := answeredResponse(t, e, `{"model":"qwen3-max","store":false,"input":"My fish is called Nemo."}`)
	chat1, _ := sentToQwen(t, e)
	retried := `{"model":"qwen3-max","input":"Alpha question","previous_response_id":"` + r1 + `"}`
	answeredResponse(t, e, retried)
	underR1 := parentSentToQwen(t, e)
	chats := e.sim.Chats()
	retry, text := answeredResponse(t, e, retried)
	if chat, _ := sentToQwen(t, e); chat != chat1 || e.sim.Chats() != chats || parentSentToQwen(t, e) != underR1 || !strings.Contains(text, "Nemo") {
		t.Fatalf("the retry: chat %s (want %s) under %s (want %s), %d chats opened, answer %q",
			chat, chat1, parentSentToQwen(t, e), underR1, e.sim.Chats()-chats, text)
	}
	if _, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"Gamma question","previous_response_id":"`+retry+`"}`); !strings.Contains(text, "Alpha") {
		t.Fatalf("continuing the retry: %q", text)
	}
}

// Two instances on one PostgreSQL database: a retry on one of a call the
// other answered is asked again in the session's chat under the same node
// — where the turn was asked from is written with the session's state
// under its lock, read by whichever instance takes the next turn.
func TestARetryOnAnotherInstanceRegenerates(t *testing.T) {
	a := startOn(t, "postgres", nil)
	b := startOn(t, "postgres", func(c *config.Config) { c.DatabaseURL, c.QwenBaseURL = a.dbURL, a.sim.URL })
	r1, _ := answeredResponse(t, a, `{"model":"qwen3-max","input":"My horse is called Comet."}`)
	chat1, _ := sentToQwen(t, a)
	retried := `{"model":"qwen3-max","input":"Alpha question","previous_response_id":"` + r1 + `"}`
	answeredResponse(t, a, retried)
	underR1 := parentSentToQwen(t, a)
	retry, text := answeredResponse(t, b, retried)
	if chat, sent := sentToQwen(t, a); chat != chat1 || a.sim.Chats() != 1 || parentSentToQwen(t, a) != underR1 || strings.Contains(sent, "Comet") ||
		!strings.Contains(text, "Comet") {
		t.Fatalf("the retry on the other instance: chat %s (want %s) under %s (want %s), %d chats, sent %s, answer %q",
			chat, chat1, parentSentToQwen(t, a), underR1, a.sim.Chats(), sent, text)
	}
	if _, text := answeredResponse(t, a, `{"model":"qwen3-max","input":"Gamma question","previous_response_id":"`+retry+`"}`); !strings.Contains(text, "Alpha") {
		t.Fatalf("continuing the retry on the first instance: %q", text)
	}
	if chat, _ := sentToQwen(t, a); chat != chat1 || a.sim.Chats() != 1 || parentSentToQwen(t, a) == underR1 {
		t.Fatalf("continuing the retry on the first instance: chat %s under %s, %d chats", chat, parentSentToQwen(t, a), a.sim.Chats())
	}
}
