package accounts

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

// TestASignInAgainAfterABare403SaysWhatQwenAnswered: a bare HTTP 403 makes a
// signed-in account sign in again, as a 401 does; the log's line for it
// said "qwen refused the account's token (expired)", sending an operator
// looking at a ban or a blocked address after an expiry that never was. It
// says what Qwen answered instead.
func TestASignInAgainAfterABare403SaysWhatQwenAnswered(t *testing.T) {
	const email = "a@x.io"
	var logged bytes.Buffer
	sim, p, client := simPool(t, Config{Logins: []Login{{email, "right"}}, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	ctx := With(context.Background(), email)
	before, err := p.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sim.Inject(qwensim.Fault{Endpoint: "chats/new", Status: 403})
	_, _, callErr := client.NewChat(ctx, "qwen3-max")
	if qe, ok := qwen.AsError(callErr); !ok || qe.Status != 403 {
		t.Fatalf("the call Qwen answered 403: %v", callErr)
	}
	if ok, err := p.Refresh(ctx, email, before.Cookies, callErr); !ok || err != nil {
		t.Fatalf("refresh: %v %v", ok, err)
	}
	out := logged.String()
	if !strings.Contains(out, "signed in again") || strings.Contains(out, "expired") || !strings.Contains(out, "HTTP 403") {
		t.Fatalf("the log of a sign-in after a bare 403:\n%s", out)
	}
}
