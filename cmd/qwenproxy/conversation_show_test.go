package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// sessions show of a Conversations API conversation printed each turn's
// request input alone: the conversation's items its response sent before
// it ("Remember kiwi.") were missing. They are printed first, marked.
func TestSessionsShowPrintsConversationItems(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	a := startMock(t, db)
	post := func(path, body string) map[string]any {
		t.Helper()
		resp, err := http.Post(a.URL()+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var v map[string]any
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &v) != nil {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return v
	}
	conv, _ := post("/v1/conversations", `{"items":[{"role":"user","content":"Remember kiwi."}]}`)["id"].(string)
	post("/v1/responses", `{"model":"qwen3-max","input":"What fruit?","conversation":"`+conv+`"}`)
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := runCLI(t, db, "sessions", "show", conv)
	item := strings.Index(out, "USER (conversation item)\n  Remember kiwi.\n")
	input := strings.Index(out, "USER\n  What fruit?\n")
	if code != 0 || item < 0 || input < item {
		t.Fatalf("sessions show: %d %s %s", code, out, errOut)
	}
	out, _, code = runCLI(t, db, "sessions", "show", "--json", conv)
	var v struct {
		Transcript []struct {
			Input []struct {
				Content          string
				FromConversation bool `json:"from_conversation"`
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || len(v.Transcript) != 1 || len(v.Transcript[0].Input) != 2 ||
		!v.Transcript[0].Input[0].FromConversation || v.Transcript[0].Input[0].Content != "Remember kiwi." || v.Transcript[0].Input[1].FromConversation {
		t.Fatalf("sessions show --json: %v %s", err, out)
	}
}
