package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"qwenproxy/internal/qwen"
)

// cookieJWT is a login token good until 2100 ({"exp":4102444800}).
const cookieJWT = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c3ecretsig"

// A QWEN_COOKIES holding a line break (a Cookie header pasted from a
// browser over two lines) is said to hold one, at which character, and
// that the header must be one line — never its text: doctor said it held
// no token=…, though the token was there, cut. The newline a file read
// into the variable ends with is no part of it.
func TestDoctorSaysTheCookieHeaderHoldsALineBreak(t *testing.T) {
	env := map[string]string{"QWEN_BASE_URL": "http://127.0.0.1:1", "QWEN_COOKIES": "acw_tc=c00k1e; token=" + cookieJWT[:30] + "\n" + cookieJWT[30:],
		"DATABASE_PATH": filepath.Join(t.TempDir(), "none.db")}
	code, rep, out := doctorJSON(t, env)
	if code != qwen.DiagnosisNoCredentials.Code || len(rep.Steps) != 1 ||
		!strings.Contains(rep.Steps[0].Detail, "holds a control character (a line feed, U+000A) at character 52 of ") ||
		!strings.Contains(rep.Steps[0].Detail, "must be one line") || strings.Contains(out, "no token=") ||
		strings.Contains(out, "c00k1e") || strings.Contains(out, cookieJWT[:30]) || strings.Contains(out, cookieJWT[30:]) {
		t.Fatalf("exit %d, report %s", code, out)
	}
	env["QWEN_COOKIES"] = "acw_tc=c00k1e; token=" + cookieJWT + "\r\n"
	if _, rep, out := doctorJSON(t, env); len(rep.Steps) == 0 || !rep.Steps[0].OK || rep.Mode != qwen.ChatModeNormal {
		t.Fatalf("a trailing line break: report %s", out)
	}
}

// credentials set refuses a Cookie header holding a control character (a
// tab within its line), or pasted over two lines (whose first was read as
// the bx-umidtoken, and the rest stored as a guest's cookie), saying where,
// never the header's text, and stores nothing.
func TestCredentialsSetRefusesACookieHeaderNotOnOneLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	for _, c := range []struct{ input, want string }{
		{"acw_tc=c00k1e; token=" + cookieJWT + "\tb=2\n", "holds a control character (a tab, U+0009) at character " + strconv.Itoa(22+len(cookieJWT))},
		{"acw_tc=c00k1e; token=" + cookieJWT[:30] + "\n" + cookieJWT[30:] + "; b=2\n", "holds a line break after character 51"},
	} {
		out, errOut, code := runCLIInput(t, db, nil, c.input, "credentials", "set")
		if code != 1 || out != "" || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "must be one line") ||
			!strings.Contains(errOut, "nothing was stored") || strings.Contains(errOut, "c00k1e") || strings.Contains(errOut, cookieJWT[30:40]) {
			t.Errorf("credentials set %q: exit %d, %q %q; want %q", c.input, code, out, errOut, c.want)
		}
	}
	if out, errOut, _ := runCLI(t, db, "credentials", "status", "--json"); !strings.Contains(out, `"stored": false`) {
		t.Errorf("credentials status after the refusals: %s %s", out, errOut)
	}
}
