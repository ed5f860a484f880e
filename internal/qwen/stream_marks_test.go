package qwen

import (
	"errors"
	"testing"
)

// A stream frame of no shape an answer's events have is a keep-alive, unless
// it bears the firewall's marks or is the backend's own refusal: then the
// answer fails as the same text would as a whole body (qwen-2026.md (a)7,
// §3.6), rather than ending "without an answer".
func TestAFrameThatIsNoEventIsAFailureWhenItSaysSo(t *testing.T) {
	for name, tc := range map[string]struct {
		frame string
		kind  Kind
	}{
		"captcha object":          {`{"action":"captcha","url":"https://chat.qwen.ai/punish?x5secdata=1"}`, KindFirewall},
		"waf page":                {`<!doctype html><html>aliyun_waf</html>`, KindFirewall},
		"risk control, data text": {`{"ret":["FAIL_SYS_USER_VALIDATE","RGV587_ERROR::SM::x"],"data":"https://x/punish"}`, KindFirewall},
		"not authenticated":       {`{"detail":"Not authenticated"}`, KindAuth},
		"session expired":         {`{"detail":"Your session has expired or the token is invalid. Please sign in again."}`, KindAuth},
	} {
		t.Run(name, func(t *testing.T) {
			body := `data: {"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r"}}` + "\n\n" +
				"data: " + tc.frame + "\n\n"
			_, err := readAll(t, testStream(t, body))
			var qe *Error
			if !errors.As(err, &qe) || qe.Kind != tc.kind {
				t.Fatalf("error %v, want kind %v", err, tc.kind)
			}
		})
	}
	// A frame of another shape without either is still a keep-alive.
	body := `data: {"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r"}}` + "\n\n" +
		`data: {"something":"new"}` + "\n\n" +
		`data: {"choices": [{"delta": {"content": "ok", "phase": "answer", "status": "finished"}}], "response_id": "r"}` + "\n\n"
	evs, err := readAll(t, testStream(t, body))
	if err != nil || len(evs) != 3 || evs[1].Kind != EventKeepAlive || evs[2].Content != "ok" {
		t.Fatalf("%v %+v", err, evs)
	}
}
