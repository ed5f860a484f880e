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

// TestRetrievingAMappedNameAgreesWithChat: GET /v1/models/{id} answers the
// names chat takes by mapping them (gpt-4o went to DEFAULT_MODEL in chat but
// was a 404 here), under the name asked, with the Qwen model in
// metadata.maps_to; a name chat refuses stays a 404.
func TestRetrievingAMappedNameAgreesWithChat(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.ModelMap = []modelmap.Rule{{Pattern: "claude-opus-*", Target: "qwen3-coder-plus"}}
	})
	for _, c := range []struct{ id, mapsTo string }{
		{"gpt-4o", "qwen3-max"},
		{"claude-sonnet-4-5", "qwen3-max"},
		{"claude-opus-4-1", "qwen3-coder-plus"},
	} {
		got, err := e.client.Models.Get(ctxT(t), c.id)
		if err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		var meta struct {
			MapsTo string `json:"maps_to"`
		}
		_ = json.Unmarshal([]byte(got.JSON.ExtraFields["metadata"].Raw()), &meta)
		if got.ID != c.id || got.Object != "model" || meta.MapsTo != c.mapsTo {
			t.Errorf("%s: %s", c.id, got.RawJSON())
		}
		if resp := postJSON(t, e, "/v1/chat/completions", `{"model":"`+c.id+`","messages":[{"role":"user","content":"hi"}]}`, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: chat %d", c.id, resp.StatusCode)
		}
	}
	// Its 404 says why, as chat's refusal does ("does not exist" said
	// nothing of MODEL_MAP, nor that the model has no such variant).
	for _, c := range []struct{ id, why string }{
		{"llama-3", "map it onto one with MODEL_MAP, e.g. MODEL_MAP='llama-3=qwen3-max'"},
		{"qwen3-max-thinking", "Qwen's model list gives qwen3-max no thinking"},
	} {
		resp := send(t, e, "GET", "/v1/models/"+c.id, "", "", nil)
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != http.StatusNotFound || env.Error.Code == nil || *env.Error.Code != "model_not_found" ||
			env.Error.Param == nil || *env.Error.Param != "model" || !strings.Contains(env.Error.Message, c.why) {
			t.Errorf("%s: %d %+v, want a 404 model_not_found saying %q", c.id, resp.StatusCode, env, c.why)
		}
	}
}
