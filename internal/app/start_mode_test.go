package app

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/store/storetest"
)

// A stored cookie the server cannot open (no QWENPROXY_SECRET_KEY, or
// another key) made the start's "listening" line say qwen_mode="": the
// locked cookie has no mode, and it decided. Alone, it says the
// credentials are locked; beside an account the server signs in, the
// mode is that account's, which is what the calls use.
func TestTheStartSaysTheModeWhenTheStoredCookieIsLocked(t *testing.T) {
	const key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	for _, c := range []struct {
		vars map[string]string
		mode string
	}{
		{map[string]string{}, "qwen_mode=locked"},
		{map[string]string{"QWENPROXY_SECRET_KEY": "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"}, "qwen_mode=locked"},
		{map[string]string{"QWEN_ACCOUNTS": "ada@example.com:pw"}, "qwen_mode=normal"},
	} {
		path := filepath.Join(t.TempDir(), "q.db")
		st := storetest.Open(t, path)
		sealer, err := accounts.NewSealer(key)
		if err != nil {
			t.Fatal(err)
		}
		if err := (accounts.SealedCredentials{Store: st, Sealer: sealer}).SetQwenCredentials(context.Background(),
			qp.QwenCredentials{Cookies: "token=eyJhbGciOiJIUzI1NiJ9.e30.c2ln", UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		st.Close()
		vars := c.vars
		vars["PORT"], vars["DATABASE_PATH"], vars["QWEN_BASE_URL"] = "0", path, "http://127.0.0.1:1"
		cfg, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var logs logtest.Buffer
		a, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		var listening string
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "msg=listening") {
				listening = line
			}
		}
		if !strings.Contains(listening, c.mode) {
			t.Errorf("%v: the start says %q, want %s\n%s", c.vars, listening, c.mode, logs.String())
		}
	}
}
