package main

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The Cookie header copied with its name — the line "Cookie: token=…" of
// the developer tools' raw headers — was refused
// with "need a logged-in browser's Cookie header (with token=…)", which it
// is and has; in QWEN_COOKIES the server said it held no token=…. The name
// is no part of the value: it is dropped, and the cookies are taken.
func TestACookieHeaderPastedWithItsNameIsTaken(t *testing.T) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"id":"u","exp":%d}`, time.Now().Add(time.Hour).Unix())))
	token := "eyJhbGciOiJIUzI1NiJ9." + payload + ".c2ln"
	for _, header := range []string{"Cookie: token=" + token + "; acw_tc=1", "cookie:token=" + token} {
		vars, run := cliWithVars(filepath.Join(t.TempDir(), "c.db"))
		code, out, errOut := run(header+"\n", "credentials", "set")
		if code != 0 || strings.Contains(out+errOut, token) {
			t.Fatalf("set %q: %d %s %s", header[:10], code, out, errOut)
		}
		if code, out, _ := run("", "credentials"); code != 0 || !strings.Contains(out, "stored credentials (normal mode)") || !strings.Contains(out, "the login token expires") {
			t.Fatalf("status after set %q: %d %s", header[:10], code, out)
		}
		if code, _, _ := run("", "credentials", "clear"); code != 0 {
			t.Fatal("clear")
		}
		vars["QWEN_COOKIES"] = header
		if code, out, _ := run("", "credentials"); code != 0 || !strings.Contains(out, "(normal mode)") || !strings.Contains(out, "the login token expires") {
			t.Fatalf("status of QWEN_COOKIES %q: %d %s", header[:10], code, out)
		}
	}
}
