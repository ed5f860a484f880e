package qwen

import "testing"

// A 2026 client that reads Qwen's streams (qwengate's stream processor,
// 2026-08) takes a delta of status "error" as the answer's failure, with
// its code and message in the delta: {"delta": {"status": "error", "code":
// "RateLimited", "message": …}}. Read as a delta, it was an empty answer
// piece: the stream ended as if the answer had been cut off, the rate limit
// unseen (no quota rest, no other account).
func TestADeltaOfStatusErrorFailsTheAnswer(t *testing.T) {
	created := `data: {"response.created":{"chat_id": "c1", "parent_id": "p1", "response_id":"r1"}} ` + "\n\n"
	typing := `data: {"choices": [{"delta": {"role": "assistant", "content": "Hel", "phase": "answer", "status": "typing"}}], "response_id": "r1"}` + "\n\n"
	cases := []struct {
		name, before, delta string
		kind                Kind
	}{
		{"rate limited first", "", `{"role": "assistant", "content": "", "status": "error", "code": "RateLimited", "message": "You've reached the upper limit for today's usage."}`, KindRateLimited},
		{"busy mid-answer", typing, `{"role": "assistant", "content": "", "phase": "answer", "status": "error", "code": "Bad_Request", "message": "The chat is in progress!"}`, KindBusy},
		{"no code", typing, `{"status": "error"}`, KindBadRequest},
		// The typing delta's very layout, its status aside: the shape the
		// fast decoder learnt from it must not take it.
		{"typing's shape", typing + typing, `{"role": "assistant", "content": "", "phase": "answer", "status": "error"}`, KindBadRequest},
		{"details", "", `{"status": "error", "code": "Unauthorized", "details": "Token has expired"}`, KindAuth},
	}
	for _, c := range cases {
		body := created + c.before + `data: {"choices": [{"delta": ` + c.delta + `}], "response_id": "r1"}` + "\n\n"
		_, err := readAll(t, testStream(t, body))
		qe, ok := AsError(err)
		if !ok || qe.Kind != c.kind || qe.Message == "" {
			t.Errorf("%s: err %v (%+v), want kind %s with a message", c.name, err, qe, c.kind)
		}
	}
}
