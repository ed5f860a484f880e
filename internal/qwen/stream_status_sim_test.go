package qwen_test

import (
	"context"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// The simulator's failure envelope sent as a stream's only event carries
// the logical status it is given (x-actual-status-code, as Qwen's streams
// do: qwen-wire.md §5, S10), and the client reads the failure with it: a
// bare Forbidden of a 403 is the account's refusal. The simulator sent the
// event without the header, so a stream's logical status could not be
// tested against it.
func TestAStreamedEnvelopeCarriesItsLogicalStatus(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	c := qwen.New(qwen.Config{BaseURL: sim.URL, Credentials: qwen.StaticCredentials{Cookies: qwensim.LoginCookie()}, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	chatID, _, err := c.NewChat(ctx, "qwen3-max")
	if err != nil {
		t.Fatal(err)
	}
	sim.Inject(qwensim.Fault{Envelope: "Forbidden", Details: "account banned", ActualStatus: 403, InStream: true})
	s, _, _, err := c.Complete(ctx, qwen.NewCompletionRequest(chatID, "", "qwen3-max", time.Now(), qwen.MessageSpec{Content: "hi"}))
	if s != nil {
		s.Close()
	}
	qe, ok := qwen.AsError(err)
	if !ok || qe.Kind != qwen.KindAuth || qe.Status != 403 || !qe.Forbidden() {
		t.Fatalf("err %v, want the bare 403 of an account's refusal", err)
	}
}
