package e2e

import (
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// A Responses stream that fails while its message is streaming does not send that item done: a client keeps an item it was
// sent done as a finished part of the conversation, and Codex, retrying the
// turn after the failure ("Reconnecting... 1/5"), resent the fragment as
// the assistant's last message, which the proxy took for a prefill to go
// on from, so Codex's final message was the continuation alone
// (" exec_command said …" without its "Thanks:"). The item is in
// response.failed's output, incomplete, as the record keeps it.
func TestResponsesFailedStreamDoesNotSendTheCutItemDone(t *testing.T) {
	for _, c := range []struct {
		name, body string
		item       string
		after      int // answer events before the error
	}{
		{"message", `{"model":"gpt-5","stream":true,"input":"one two three four five six"}`, "message", 2},
		// After its reasoning, done before the message began.
		{"message after reasoning", `{"model":"gpt-5","stream":true,"reasoning":{"effort":"high"},"input":"one two three four five six"}`, "message", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := start(t, func(cfg *config.Config) { cfg.MaxRetries = 0 })
			e.sim.Inject(qwensim.Fault{ErrorAfter: c.after})
			var done []string
			var failed map[string]any
			var sent strings.Builder
			streamResponses(t, e, ctxT(t), c.body, func(typ string, ev map[string]any) bool {
				switch typ {
				case "response.output_item.done":
					done = append(done, ev["item"].(map[string]any)["type"].(string))
				case "response.output_text.delta":
					sent.WriteString(ev["delta"].(string))
				case "response.failed":
					failed = ev["response"].(map[string]any)
				}
				return true
			})
			if failed == nil || sent.Len() == 0 {
				t.Fatalf("the stream did not fail mid-%s (sent %q, failed %v)", c.item, sent.String(), failed)
			}
			for _, typ := range done {
				if typ == c.item {
					t.Fatalf("the %s cut short was sent done (items done: %v)", c.item, done)
				}
			}
			output, _ := failed["output"].([]any)
			if len(output) == 0 {
				t.Fatalf("response.failed has no output: %v", failed)
			}
			last := output[len(output)-1].(map[string]any)
			if last["type"] != c.item || (c.item == "message" && last["status"] != "incomplete") {
				t.Fatalf("response.failed's last item is %v, want the %s cut short", last, c.item)
			}
		})
	}
}
