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

// sessions show marked only a Responses regenerate recorded with its body
// (its previous_response_id): a Chat Completions client sending its
// conversation again, asking the last turn anew, recorded without bodies
// (X-Record-Bodies: false), printed the answer replaced and its
// replacement as turns in sequence. Both are marked by what the record
// keeps.
func TestSessionsShowMarksAChatRepeatRecordedWithoutBodies(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	a := startMock(t, db)
	post := func(messages []map[string]string) (text, requestID, session string) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"model": "qwen3-max", "messages": messages})
		req, _ := http.NewRequest(http.MethodPost, a.URL()+"/v1/chat/completions", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Record-Bodies", "false")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var v struct {
			Choices []struct{ Message struct{ Content string } }
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &v) != nil || len(v.Choices) != 1 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		return v.Choices[0].Message.Content, resp.Header.Get("X-Request-Id"), resp.Header.Get("X-Session-Id")
	}
	a1, _, session := post([]map[string]string{{"role": "user", "content": "My cat is Ziggy."}})
	asked := []map[string]string{{"role": "user", "content": "My cat is Ziggy."}, {"role": "assistant", "content": a1}, {"role": "user", "content": "Her name?"}}
	_, lost, s2 := post(asked)
	_, again, s3 := post(asked)
	if s2 != session || s3 != session {
		t.Fatalf("sessions %s %s %s", session, s2, s3)
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, db, "sessions", "show", session)
	replaced := strings.Index(out, "this answer was replaced by that of request "+again)
	regenerates := strings.Index(out, "asked again in place of the answer of request "+lost)
	if code != 0 || replaced < 0 || regenerates < replaced || !strings.Contains(out, "(recorded without bodies)") {
		t.Fatalf("sessions show: %d %s %s", code, out, errOut)
	}
}
