package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
)

// A session's first message is kept to its first 4,096 bytes, and the
// secrets it holds (an account's password, the call's proxy key) were
// masked after that cut: a secret across the 4,096th byte was no longer
// whole in the cut text, so the mask missed it and its first bytes
// ("b0b-secr") stayed in the session's row — the history API, `sessions
// ls`, the dashboard — while the call's body had it masked. The text is
// masked whole, then cut.
func TestASecretAcrossTheFirstMessagesCutIsNotKeptInPart(t *testing.T) {
	const key = "qp-proxy-key-across-the-cut-0123456789"
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: bob, Password: bobPassword}}, func(c *config.Config) {
		c.APIKeys = []string{key}
	})
	for _, secret := range []string{bobPassword, key} {
		// The secret begins 8 bytes before the cut.
		said := strings.Repeat("a", qp.FirstUserMessageMax-9) + " " + secret + " and more words after it"
		body, _ := json.Marshal(map[string]any{"messages": []map[string]string{{"role": "user", "content": said}}})
		resp, answer := chatCall(t, e, string(body), map[string]string{"Authorization": "Bearer " + key})
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, answer)
		}
		session := resp.Header.Get("X-Session-Id")
		e.sync()
		var name string
		if err := e.db().QueryRow(`SELECT first_user_message FROM sessions WHERE id = ?`, session).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if len(name) > qp.FirstUserMessageMax {
			t.Errorf("the session's name is %d bytes, over %d", len(name), qp.FirstUserMessageMax)
		}
		if strings.Contains(name, secret[:6]) {
			t.Errorf("the session's first message keeps the beginning of a secret: …%q", name[len(name)-40:])
		}
		if !strings.HasPrefix(name, strings.Repeat("a", 100)) {
			t.Errorf("the session's first message lost its words: %.40q", name)
		}
	}
}

// So is a value the call's record hides because a field named like a
// secret holds it (metadata's password), which the message also holds as
// text: the name was masked of it after the cut, keeping "HiddenP".
func TestAHiddenValueAcrossTheFirstMessagesCutIsNotKeptInPart(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: bob, Password: bobPassword}}, nil)
	const hidden = "HiddenPw12345xyz"
	said := strings.Repeat("c", qp.FirstUserMessageMax-8) + " " + hidden + " tail"
	body, _ := json.Marshal(map[string]any{"metadata": map[string]string{"password": hidden},
		"messages": []map[string]string{{"role": "user", "content": said}}})
	resp, answer := chatCall(t, e, string(body), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, answer)
	}
	e.sync()
	var name string
	if err := e.db().QueryRow(`SELECT first_user_message FROM sessions WHERE id = ?`, resp.Header.Get("X-Session-Id")).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(name, hidden[:6]) || len(name) > qp.FirstUserMessageMax || !strings.HasPrefix(name, "ccc") {
		t.Errorf("the session's first message (%d bytes): …%q", len(name), name[len(name)-40:])
	}
}
