package qwen

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkEncoding holds the hand-written request bodies to json.Marshal.
func checkEncoding(t *testing.T, req *CompletionRequest) {
	t.Helper()
	want, werr := json.Marshal(req)
	got, gerr := req.encode()
	if (werr != nil) != (gerr != nil) || string(got) != string(want) {
		t.Fatalf("encode:\n%s (%v)\njson.Marshal:\n%s (%v)", got, gerr, want, werr)
	}
	nc := &NewChatRequest{ChatIDCamel: req.ChatID, Models: req.Messages[0].Models, ProjectID: req.Version, Timestamp: req.Timestamp,
		ChatType: req.Messages[0].ChatType, ChatMode: req.ChatMode}
	want, _ = json.Marshal(nc)
	if got := nc.encode(); string(got) != string(want) {
		t.Fatalf("new chat encode:\n%s\njson.Marshal:\n%s", got, want)
	}
}

// fuzzRequest is a completion request as NewCompletionRequest builds it,
// with every field the fuzzer can reach set from its inputs.
func fuzzRequest(chatID, parentID, model, content, role, chatType, mode string, thinking bool, files uint8, ts int64) *CompletionRequest {
	spec := MessageSpec{Role: role, Content: content, Thinking: thinking, ChatType: chatType}
	for i := range int(files % 3) {
		spec.Files = append(spec.Files, File{Type: "image", Name: content, Size: int64(i), URL: "https://x/" + model})
	}
	req := NewCompletionRequest(chatID, parentID, model, time.Unix(ts, 0), spec)
	req.ChatMode = mode
	if files%5 == 4 {
		req.Size = chatType
		req.Messages[0].ID = &content
		req.Messages[0].Files = nil
		req.Messages[0].ChildrenIDs = nil
		req.Messages[0].Models = nil
	}
	return req
}

func TestCompletionRequestEncoding(t *testing.T) {
	checkEncoding(t, fuzzRequest("c1", "", "qwen3-max", "hello", "", "", ChatModeNormal, false, 0, 1_780_000_000))
	checkEncoding(t, fuzzRequest("c1", "p1", "qwen3-max", "line\nbreak <b> & \u2028 \xff", "assistant", ChatTypeSearch, ChatModeGuest, true, 2, -1))
	checkEncoding(t, fuzzRequest("", "", "", "", "", ChatTypeImage, "", false, 4, 0))
	req := fuzzRequest("c", "p", "m", "x", "", "", "", false, 1, 0)
	req.Messages = append(req.Messages, req.Messages[0])
	checkEncoding(t, req)
}

// FuzzCompletionRequestEncoding: the completion and new chat bodies are
// byte for byte what encoding/json wrote before, whatever the strings hold.
func FuzzCompletionRequestEncoding(f *testing.F) {
	f.Add("c1", "p1", "qwen3-max", "hi <there>\n", "", "", ChatModeGuest, true, uint8(1), int64(1_780_000_000))
	f.Fuzz(func(t *testing.T, chatID, parentID, model, content, role, chatType, mode string, thinking bool, files uint8, ts int64) {
		checkEncoding(t, fuzzRequest(chatID, parentID, model, content, role, chatType, mode, thinking, files, ts))
	})
}

// The headers setHeaders shares (the fixed ones, between requests) and
// packs into one array (a request's own values) stay apart: adding to one
// header changes no other, on this request or the next.
func TestHeaderValuesStayApart(t *testing.T) {
	c := New(Config{BaseURL: "https://chat.example"})
	creds := Credentials{Cookies: "a=1; token=eyJhbGciOiJIUzI1NiJ9.e30.x", Token: "u"}
	first, _ := http.NewRequest(http.MethodPost, "https://chat.example/x", strings.NewReader("{}"))
	second, _ := http.NewRequest(http.MethodPost, "https://chat.example/x", strings.NewReader("{}"))
	c.setHeaders(first, creds, refererChat, "1")
	c.setHeaders(second, creds, refererChat, "2")
	want := second.Header.Clone()
	for k := range first.Header {
		first.Header.Add(k, "added")
	}
	if !reflect.DeepEqual(second.Header, want) {
		t.Fatalf("adding to one request's headers changed another's:\n%v\nwas\n%v", second.Header, want)
	}
	for k, v := range first.Header {
		if len(v) != 2 || v[1] != "added" || v[0] == "added" {
			t.Fatalf("%s: %q", k, v)
		}
	}
	if first.Header.Get("Referer") != "https://chat.example/c/1" || first.Header.Get("Bx-Umidtoken") != "u" || first.Header.Get("Cookie") == "" {
		t.Fatalf("headers %v", first.Header)
	}
}
