package accounts

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// Qwen took an account's password but refused its token, a fresh one too:
// the warning said "Qwen refused the sign-in of …: check its e-mail and
// password … and restart the server", and a restart with the same (right)
// password left it out, saying so again. It now says that the password
// was taken, and that `accounts reset` brings the account back.
func TestARefusedTokenIsNotToldAsARefusedPassword(t *testing.T) {
	const email = "a@x.io"
	var logged bytes.Buffer
	sim, p, client := simPool(t, Config{Logins: []Login{{email, "right"}}, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	ctx := With(context.Background(), email)
	before, err := p.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sim.Inject(qwensim.Fault{Endpoint: "chats/new", Status: http.StatusUnauthorized, Times: 2})
	// As the server's newChatOn: the call, Qwen's 401, one fresh sign-in,
	// the call again, refused again.
	_, _, callErr := client.NewChat(ctx, "qwen3-max")
	if ClassOf(callErr) != ClassAuth {
		t.Fatalf("the first call: %v", callErr)
	}
	if ok, err := p.Refresh(ctx, email, before.Cookies, callErr); !ok || err != nil {
		t.Fatalf("the fresh sign-in: %v %v", ok, err)
	}
	_, _, callErr = client.NewChat(ctx, "qwen3-max")
	if ClassOf(callErr) != ClassAuth {
		t.Fatalf("the call on the fresh token: %v", callErr)
	}
	p.Report(email, callErr)
	if st := p.Snapshot()[0]; st.State != StateAuthFailed {
		t.Fatalf("after the refusal: %+v", st)
	}
	out := logged.String()
	if !strings.Contains(out, "credentials rejected") || strings.Contains(out, "refused the sign-in") ||
		!strings.Contains(out, "accounts reset "+email) || !strings.Contains(out, "took the password") {
		t.Fatalf("the log says\n%s", out)
	}
}
