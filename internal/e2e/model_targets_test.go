package e2e

import (
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/modelmap"
	"qwenproxy/internal/qwensim"
)

// TestMisspeltModelTargetsAreRefused: a DEFAULT_MODEL or MODEL_MAP target
// Qwen's model list does not have (a typo) is logged as a warning once the
// list is fetched, and a call routed to it is answered as a client naming
// an unknown model is — a 404 model_not_found naming the setting — instead
// of being sent to Qwen under the misspelt name. Targets the list has, a
// variant of a listed model among them, are neither warned of nor refused.
func TestMisspeltModelTargetsAreRefused(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.DefaultModel = "qwen3-maxx"
		c.ModelMap = []modelmap.Rule{
			{Pattern: "claude-ok-*", Target: "qwen3-vl-plus-thinking"},
			{Pattern: "claude-*", Target: "qwen3-coder-plu"},
		}
	})
	completions := func() int {
		n := 0
		for _, c := range e.sim.Calls() {
			if c.Endpoint == qwensim.EndpointCompletions || c.Endpoint == qwensim.EndpointNewChat {
				n++
			}
		}
		return n
	}
	for _, c := range []struct{ body, why string }{
		{`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, "DEFAULT_MODEL, which answers gpt-4o, is qwen3-maxx, which Qwen's model list does not have"},
		{`{"messages":[{"role":"user","content":"hi"}]}`, "DEFAULT_MODEL, which answers a request naming no model, is qwen3-maxx, which Qwen's model list does not have"},
		{`{"model":"claude-x","messages":[{"role":"user","content":"hi"}]}`, "MODEL_MAP maps claude-x to qwen3-coder-plu, which Qwen's model list does not have"},
	} {
		before := completions()
		resp := postJSON(t, e, "/v1/chat/completions", c.body, nil)
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != http.StatusNotFound || env.Error.Code == nil || *env.Error.Code != "model_not_found" ||
			env.Error.Param == nil || *env.Error.Param != "model" || !strings.Contains(env.Error.Message, c.why) {
			t.Errorf("%s: %d %+v, want a 404 model_not_found saying %q", c.body, resp.StatusCode, env, c.why)
		}
		if after := completions(); after != before {
			t.Errorf("%s: Qwen was asked %d times for a model its list does not have", c.body, after-before)
		}
	}
	// An unknown name's 404 suggests a model to map it onto: a listed one,
	// not the misspelt DEFAULT_MODEL (until 2026-12-06 it did).
	unknown := decodeEnvelope(t, postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-nosuch","messages":[{"role":"user","content":"hi"}]}`, nil))
	if msg := unknown.Error.Message; strings.Contains(msg, "qwen3-maxx") || !strings.Contains(msg, "MODEL_MAP='qwen3-nosuch=qwen") {
		t.Errorf("an unknown name's 404 suggests %q", msg)
	}
	// The Anthropic route resolves names the same way.
	resp := postJSON(t, e, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/v1/messages claude-sonnet-4-5: %d, want 404", resp.StatusCode)
	}
	resp.Body.Close()

	// A retrieval of the mapped name says the same, not "maps_to".
	resp = send(t, e, "GET", "/v1/models/claude-x", "", "", nil)
	env := decodeEnvelope(t, resp)
	if resp.StatusCode != http.StatusNotFound || env.Error.Code == nil || *env.Error.Code != "model_not_found" ||
		!strings.Contains(env.Error.Message, "MODEL_MAP maps claude-x to qwen3-coder-plu") {
		t.Errorf("GET /v1/models/claude-x: %d %+v", resp.StatusCode, env)
	}

	// A target that is a listed model's variant works.
	resp = postJSON(t, e, "/v1/chat/completions", `{"model":"claude-ok-1","messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("claude-ok-1 (mapped to qwen3-vl-plus-thinking): %d", resp.StatusCode)
	}
	resp.Body.Close()

	logs := e.logs()
	for _, want := range []string{"setting=DEFAULT_MODEL model=qwen3-maxx", "setting=MODEL_MAP pattern=claude-* model=qwen3-coder-plu"} {
		if !strings.Contains(logs, want) || strings.Count(logs, want) != 1 {
			t.Errorf("the log has %d warnings with %q, want one:\n%s", strings.Count(logs, want), want, logs)
		}
	}
	if strings.Contains(logs, "model=qwen3-vl-plus-thinking") {
		t.Errorf("a listed model's variant was warned of:\n%s", logs)
	}
}

// TestModelTargetsGoUpstreamWithoutAList: when Qwen's model list cannot be
// had, a configured target cannot be checked, and the call goes to Qwen
// under it as before (Qwen decides).
func TestModelTargetsGoUpstreamWithoutAList(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.ModelMap = []modelmap.Rule{{Pattern: "claude-*", Target: "qwen3-coder-plus"}}
	})
	e.sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointModels, Status: http.StatusServiceUnavailable, Times: 100})
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"claude-x","messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("claude-x without a model list: %d, want 200", resp.StatusCode)
	}
	resp.Body.Close()
}

// TestModelTargetVariantItsModelLacks: a MODEL_MAP target that is a variant
// its model cannot do (qwen3-max-thinking: qwen3-max does not think) is the
// 400 model_variant_unsupported a client naming it gets, but its message
// names the setting that sent the client's name there, as a misspelt
// target's 404 does, and the warning logged says that 400. Until 2026-12-07
// the client that asked for claude-think-1 was told only that
// "qwen3-max-thinking" is not available, and the log said such calls were
// refused with 404 model_not_found.
func TestModelTargetVariantItsModelLacks(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.ModelMap = []modelmap.Rule{{Pattern: "claude-think-*", Target: "qwen3-max-thinking"}}
	})
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"claude-think-1","messages":[{"role":"user","content":"hi"}]}`, nil)
	env := decodeEnvelope(t, resp)
	const why = "MODEL_MAP maps claude-think-1 to qwen3-max-thinking: "
	if resp.StatusCode != http.StatusBadRequest || env.Error.Code == nil || *env.Error.Code != "model_variant_unsupported" ||
		!strings.HasPrefix(env.Error.Message, why) || !strings.Contains(env.Error.Message, "Qwen's model list gives qwen3-max no thinking") {
		t.Errorf("claude-think-1: %d %+v, want a 400 model_variant_unsupported beginning %q", resp.StatusCode, env, why)
	}
	resp = send(t, e, "GET", "/v1/models/claude-think-1", "", "", nil)
	if env := decodeEnvelope(t, resp); resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(env.Error.Message, why) {
		t.Errorf("GET /v1/models/claude-think-1: %d %+v", resp.StatusCode, env)
	}
	// A client naming the variant itself is told as before.
	resp = postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max-thinking","messages":[{"role":"user","content":"hi"}]}`, nil)
	if env := decodeEnvelope(t, resp); resp.StatusCode != http.StatusBadRequest || strings.Contains(env.Error.Message, "MODEL_MAP") {
		t.Errorf("qwen3-max-thinking: %d %+v", resp.StatusCode, env)
	}
	logs := e.logs()
	if !strings.Contains(logs, "refused with 400 model_variant_unsupported") || strings.Contains(logs, "refused with 404 model_not_found") {
		t.Errorf("the warning of a variant target its model lacks:\n%s", logs)
	}
}
