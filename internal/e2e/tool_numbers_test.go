package e2e

import (
	"io"
	"strings"
	"testing"
)

// A tool call's arguments reach the client as the model wrote them, in every
// client API: they were decoded into float64s, so an id past 2^53
// (1234567890123456789) reached the tool as 1234567890123456800 and 1.50 as
// 1.5, and re-encoded from a map, so a call sent whole had its keys sorted.
// A client that resends them as JavaScript reads them (doubles) still
// continues its session on the same Qwen chat.
func TestToolCallNumbersAsTheModelWroteThem(t *testing.T) {
	const args = `{"ratio":1.50,"city":"Oslo","id":1234567890123456789}`
	for _, api := range toolAPIs {
		t.Run(api.path, func(t *testing.T) {
			e := start(t, nil)
			user := api.user("use get_weather with " + args)
			first := postJSON(t, e, api.path, api.request([]string{user}), nil)
			body, _ := io.ReadAll(first.Body)
			if first.StatusCode != 200 {
				t.Fatalf("first turn %d: %s", first.StatusCode, body)
			}
			// As an object (Anthropic's input) or a string (OpenAI's
			// arguments).
			if !strings.Contains(string(body), args) && !strings.Contains(string(body), strings.ReplaceAll(args, `"`, `\"`)) {
				t.Fatalf("the call's arguments are not %s as written: %s", args, body)
			}
			msgs, callID := api.answer(t, body)
			if callID == "" {
				t.Fatalf("no tool call in %s", body)
			}
			resent := make([]string, 0, len(msgs)+2)
			resent = append(resent, user)
			for _, m := range msgs {
				resent = append(resent, strings.NewReplacer("1234567890123456789", "1234567890123456800", "1.50", "1.5").Replace(m))
			}
			resent = append(resent, api.result(callID, "Sunny"))
			next := postJSON(t, e, api.path, api.request(resent), nil)
			nextBody, _ := io.ReadAll(next.Body)
			if next.StatusCode != 200 || !strings.Contains(string(nextBody), `get_weather said \"Sunny\"`) {
				t.Fatalf("the tool result's turn %d: %s", next.StatusCode, nextBody)
			}
			if a, b := first.Header.Get("X-Session-Id"), next.Header.Get("X-Session-Id"); a == "" || a != b || e.sim.Chats() != 1 {
				t.Errorf("the resent call opened session %s over %d Qwen chats, want the call's %s on 1", b, e.sim.Chats(), a)
			}
		})
	}
}
