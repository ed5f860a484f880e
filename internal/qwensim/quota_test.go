package qwensim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
)

// An account over its daily quota is answered as Qwen answers it, recorded
// verbatim (qwen-wire.md §5, S8): the RateLimited envelope with its details,
// the template the web client shows and num, the hours to wait. The
// simulator's lacked the template.
func TestTheQuotaAnswerIsQwens(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AddAccount("q@x.io", "pw")
	sum := sha256.Sum256([]byte("pw"))
	_, _, signed := webCall(t, srv, "/api/v1/auths/signin", `{"email":"q@x.io","password":"`+hex.EncodeToString(sum[:])+`"}`, nil)
	var tok struct{ Token string }
	if json.Unmarshal([]byte(signed), &tok); tok.Token == "" {
		t.Fatalf("sign-in: %s", signed)
	}
	asAccount := func(r *http.Request) { r.Header.Set("Cookie", "token="+tok.Token) }
	chatID := newChat2026(t, srv, asAccount, "normal")
	srv.RateLimit("q@x.io", 6)
	_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, completion(chatID, "normal", "qwen3-max", false, "hi"), asAccount)
	var got struct {
		Success   *bool  `json:"success"`
		RequestID string `json:"request_id"`
		Data      map[string]any
	}
	if err := json.Unmarshal([]byte(b), &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	want := map[string]any{
		"code":     "RateLimited",
		"details":  "You've reached the upper limit for today's usage.",
		"template": "You have reached the daily usage limit. Please wait {{num}} hours before trying again.",
		"num":      6.0,
	}
	if got.Success == nil || *got.Success || got.RequestID == "" || len(got.Data) != len(want) {
		t.Fatalf("answer %s", b)
	}
	for k, v := range want {
		if got.Data[k] != v {
			t.Errorf("data.%s = %v, want %v", k, got.Data[k], v)
		}
	}
}
