package e2e

import (
	"strconv"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// A server whose QWEN_COOKIES holds a line break (a Cookie header pasted
// over two lines) warns at start that it is not used because the header
// holds a control character, naming which and where, never its text: it
// warned that the header held no token=…, though the token was there, cut.
func TestStartSaysTheCookieHeaderHoldsALineBreak(t *testing.T) {
	login := qwensim.LoginCookie()
	cut := len(login) / 2
	e := start(t, func(c *config.Config) {
		c.QwenToken, c.QwenCookies = "", "acw_tc=c00k1e; "+login[:cut]+"\n"+login[cut:]
	})
	logs := e.logs()
	at := "at character " + strconv.Itoa(len("acw_tc=c00k1e; ")+cut+1)
	if !strings.Contains(logs, "holds a control character (a line feed, U+000A) "+at) || !strings.Contains(logs, "must be one line") ||
		strings.Contains(logs, "no token=") || strings.Contains(logs, "c00k1e") || strings.Contains(logs, login[cut:]) {
		t.Fatalf("start's warning:\n%s", logs)
	}
}
