package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// credentials set's warning of a cookie stored unencrypted began "warning:",
// where every other command's warning names the command first
// ("qwenproxy stats: warning: …"), so that a script's log says who warned.
func TestCredentialsUnsealedWarningNamesTheCommand(t *testing.T) {
	_, run := cliWithVars(filepath.Join(t.TempDir(), "c.db"))
	code, _, errOut := run("token=h.eyJleHAiOjE3OTkwMDAwMDB9.sig\n", "credentials", "set")
	if code != 0 || !strings.HasPrefix(errOut, "qwenproxy credentials: warning: QWENPROXY_SECRET_KEY is not set") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
