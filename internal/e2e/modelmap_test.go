package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/modelmap"
)

// TestModelNamesAreMapped: agents send their vendor's model names. MODEL_MAP
// maps them, claude-* and gpt-* fall back to DEFAULT_MODEL, other names Qwen
// does not list are a 404 naming MODEL_MAP; the answer says the name asked
// for and the record keeps both.
func TestModelNamesAreMapped(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.ModelMap = []modelmap.Rule{{Pattern: "claude-opus-*", Target: "qwen3-coder-plus"}}
	})
	cases := []struct {
		asked, answered string
	}{
		{"claude-opus-4-1", "qwen3-coder-plus"}, // MODEL_MAP
		{"claude-sonnet-4-5", "qwen3-max"},      // fallback to DEFAULT_MODEL
		{"gpt-5-codex", "qwen3-max"},            // fallback to DEFAULT_MODEL
		{"qwen3-vl-plus", "qwen3-vl-plus"},      // Qwen lists it
	}
	for _, c := range cases {
		resp := postJSON(t, e, "/v1/chat/completions", `{"model":"`+c.asked+`","messages":[{"role":"user","content":"hi"}]}`, nil)
		var got struct{ Model string }
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &got) != nil || got.Model != c.asked {
			t.Fatalf("%s: %d %s", c.asked, resp.StatusCode, b)
		}
		var reqModel, respModel string
		db := e.db()
		if err := db.QueryRow(`SELECT q.model, r.model FROM requests q JOIN responses r ON r.request_id = q.id
			WHERE q.request_id = ?`, resp.Header.Get("X-Request-Id")).Scan(&reqModel, &respModel); err != nil {
			t.Fatal(err)
		}
		// Bodies are stored as parts and skeletons: read as every reader does.
		rec, err := e.app.Store().Request(context.Background(), resp.Header.Get("X-Request-Id"))
		if err != nil {
			t.Fatal(err)
		}
		qwenBody := string(rec.QwenRequest)
		if reqModel != c.asked || respModel != c.answered || !strings.Contains(qwenBody, `"model":"`+c.answered+`"`) {
			t.Fatalf("%s: recorded %q / %q, upstream body %s", c.asked, reqModel, respModel, qwenBody)
		}
	}
	before := len(e.rows())
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"llama-3","messages":[{"role":"user","content":"hi"}]}`, nil)
	env := decodeEnvelope(t, resp)
	if resp.StatusCode != http.StatusNotFound || env.Error.Code == nil || *env.Error.Code != "model_not_found" || !strings.Contains(env.Error.Message, "MODEL_MAP") {
		t.Fatalf("unknown model: %d %+v", resp.StatusCode, env)
	}
	if after := len(e.rows()); after != before {
		t.Fatalf("a refused model changed the record: %d → %d calls", before, after)
	}
}
