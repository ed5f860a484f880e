package qwen

import (
	"net/http"
	"strings"
	"testing"
)

// TestARefererIsBuiltOnce: the Referer of every page is what it always
// was (the base URL, the page, a chat's id; a guest's one page whatever
// the call), and building it costs at most one allocation: none for a page
// without a chat, one for a chat's. A request's headers take six more: the
// map (four), its values' array and its request id (newUUID's).
func TestARefererIsBuiltOnce(t *testing.T) {
	c := New(Config{BaseURL: "https://chat.example/"})
	user := Credentials{Cookies: "a=1; token=eyJhbGciOiJIUzI1NiJ9.e30.x"}
	guest := Credentials{}
	if c.masks.signed(guest).chatMode != ChatModeGuest || c.masks.signed(user).chatMode == ChatModeGuest {
		t.Fatal("the credentials are not a guest's and a user's")
	}
	const chatID = "0cac4f88-3ce7-4b19-8ebb-632ca66c512c"
	// The request id's own cost (one allocation; more under the race
	// detector).
	id := testing.AllocsPerRun(100, func() { newUUID() })
	r, _ := http.NewRequest(http.MethodPost, "https://chat.example/x", strings.NewReader("{}"))
	for _, tc := range []struct {
		creds        Credentials
		page, chatID string
		want         string
		allocs       float64
	}{
		{user, refererNewChat, "", "https://chat.example/c/new-chat", 5},
		{user, refererChat, chatID, "https://chat.example/c/" + chatID, 6},
		{guest, refererNewChat, "", "https://chat.example/c/guest", 5},
		{guest, refererChat, chatID, "https://chat.example/c/guest", 5},
	} {
		c.setHeaders(r, tc.creds, tc.page, tc.chatID)
		if got := r.Header["Referer"]; len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s%s: Referer %q, want %q", tc.page, tc.chatID, got, tc.want)
		}
		if n := testing.AllocsPerRun(100, func() { c.setHeaders(r, tc.creds, tc.page, tc.chatID) }); n > tc.allocs+id {
			t.Errorf("%s%s: %v allocations, want %v", tc.page, tc.chatID, n, tc.allocs+id)
		}
	}
}
