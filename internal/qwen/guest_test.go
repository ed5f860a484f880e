package qwen

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// A guest speaks as the guest web client does (qwen-2026.md §1.2, Q2Go's
// guest protocol): from the guest page (Referer /c/guest) on every call,
// and with thinking left to Qwen (thinking_enabled, auto_thinking,
// thinking_mode "Auto") whatever the caller asked; a logged-in caller's
// message keeps its own choice and the pages of the logged-in client.
func TestAGuestSpeaksAsTheGuestWebClient(t *testing.T) {
	for _, tc := range []struct {
		name  string
		creds StaticCredentials
		guest bool
	}{
		{"guest", StaticCredentials{Token: "T2gA", Cookies: "acw_tc=1"}, true},
		{"logged in", StaticCredentials{Cookies: "acw_tc=1; token=" + testJWT(4102444800)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recording{}
			srv := rec.serve(t)
			c := New(Config{BaseURL: srv.URL, Credentials: tc.creds, Timeout: 10 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			chatID, _, err := c.NewChat(ctx, "qwen3-max")
			if err != nil {
				t.Fatal(err)
			}
			s, sent, _, err := c.Complete(ctx, NewCompletionRequest(chatID, "", "qwen3-max", time.Now(), MessageSpec{Content: "x", Thinking: false}))
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			guestThinking := `"thinking_enabled":true,"output_schema":"phase","research_mode":"normal","auto_thinking":true,"thinking_mode":"Auto"`
			ownChoice := `"thinking_enabled":false,"output_schema":"phase","research_mode":"normal","auto_thinking":false,"thinking_mode":"Fast"`
			if want := map[bool]string{true: guestThinking, false: ownChoice}[tc.guest]; !bytes.Contains(sent, []byte(want)) {
				t.Errorf("feature_config: want %s in %s", want, sent)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, r := range rec.calls {
				referer := r.Header.Get("Referer")
				if onGuestPage := referer == srv.URL+"/c/guest"; onGuestPage != tc.guest {
					t.Errorf("%s: Referer %s", r.URL.Path, referer)
				}
				if !tc.guest && strings.HasSuffix(r.URL.Path, "/completions") && referer != srv.URL+"/c/"+chatID {
					t.Errorf("completion Referer %s", referer)
				}
			}
		})
	}
}
