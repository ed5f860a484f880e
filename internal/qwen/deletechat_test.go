package qwen_test

import (
	"context"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// DeleteChat deletes the chat as the web client does (its headers, the
// account's credentials); a chat Qwen no longer knows counts as deleted,
// and Qwen's failure is an error, so the sweep tries again.
func TestDeleteChatDeletesItOnce(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	c := qwen.New(qwen.Config{BaseURL: sim.URL, Credentials: qwen.StaticCredentials{Cookies: qwensim.LoginCookie()}, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	chatID, _, err := c.NewChat(ctx, "qwen3-max")
	if err != nil || !sim.HasChat(chatID) {
		t.Fatalf("new chat %q: %v", chatID, err)
	}
	sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointDeleteChat, Status: 500})
	if err := c.DeleteChat(ctx, chatID); err == nil || !sim.HasChat(chatID) {
		t.Fatalf("Qwen's 500: %v, chat there %v", err, sim.HasChat(chatID))
	}
	if err := c.DeleteChat(ctx, chatID); err != nil || sim.HasChat(chatID) {
		t.Fatalf("delete: %v, chat still there %v", err, sim.HasChat(chatID))
	}
	if err := c.DeleteChat(ctx, chatID); err != nil {
		t.Fatalf("a chat already gone: %v", err)
	}
	for _, call := range sim.Calls() {
		if call.Endpoint == qwensim.EndpointDeleteChat && (call.Header.Get("Referer") != sim.URL+"/c/"+chatID || call.Header.Get("x-request-id") == "" || call.Header.Get("Version") == "") {
			t.Fatalf("the delete lacks the web client's headers: %v", call.Header)
		}
	}
}
