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

// sessions show printed a regenerate (a Responses call asked again from
// the answer before its session's latest, in place of the latest) after the
// answer it replaced as the next turn of the conversation. Both are marked:
// the answer replaced, and the call that replaced it.
func TestSessionsShowMarksARegeneratedAnswer(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	a := startMock(t, db)
	post := func(body string) (id, requestID, session string) {
		t.Helper()
		resp, err := http.Post(a.URL()+"/v1/responses", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var v struct{ ID string }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &v) != nil {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		return v.ID, resp.Header.Get("X-Request-Id"), resp.Header.Get("X-Session-Id")
	}
	first, _, session := post(`{"model":"qwen3-max","input":"My cat is Ziggy."}`)
	_, lost, _ := post(`{"model":"qwen3-max","input":"Alpha question","previous_response_id":"` + first + `"}`)
	_, again, _ := post(`{"model":"qwen3-max","input":"Alpha question","previous_response_id":"` + first + `"}`)
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, db, "sessions", "show", session)
	replaced := strings.Index(out, "this answer was replaced by that of request "+again)
	regenerates := strings.Index(out, "asked again in place of the answer of request "+lost)
	if code != 0 || replaced < 0 || regenerates < replaced {
		t.Fatalf("sessions show: %d %s %s", code, out, errOut)
	}
	out, _, code = runCLI(t, db, "sessions", "show", "--json", session)
	var v struct {
		Transcript []struct {
			RequestID   string `json:"request_id"`
			Regenerates string
			ReplacedBy  string `json:"replaced_by"`
		}
	}
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || len(v.Transcript) != 3 ||
		v.Transcript[1].ReplacedBy != again || v.Transcript[2].Regenerates != lost || v.Transcript[0].ReplacedBy != "" {
		t.Fatalf("sessions show --json: %v %s", err, out)
	}
}
