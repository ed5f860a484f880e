package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A function declared strict (OpenAI's strict: true; Anthropic's too) gets
// calls whose arguments validate against its parameters, in every API,
// streamed or not: a call that breaks them gets one corrective turn (the
// simulator is asked for {"zone": 5}, then told to call get_time with what
// its schema requires); a model that still breaks them is a 502
// tool_arguments_unmet, not retried. The arguments were passed on as the
// model wrote them.
func TestAStrictFunctionsCallsMatchItsParameters(t *testing.T) {
	e := start(t, nil)
	const schema = `{"type":"object","properties":{"tz":{"type":"string"}},"required":["tz"],"additionalProperties":false}`
	const ask = `use get_time with {\"zone\": 5}`
	chat := `{"model":"qwen3-max",%s"tools":[{"type":"function","function":{"name":"get_time","strict":true,"parameters":` + schema + `}}],"messages":[{"role":"user","content":"%s"}]}`
	cases := []struct{ name, path, body string }{
		{"chat", "/v1/chat/completions", strings.Replace(strings.Replace(chat, "%s", "", 1), "%s", ask, 1)},
		{"chat streamed", "/v1/chat/completions", strings.Replace(strings.Replace(chat, "%s", `"stream":true,`, 1), "%s", ask, 1)},
		{"responses streamed", "/v1/responses", `{"model":"qwen3-max","stream":true,"tools":[{"type":"function","name":"get_time","strict":true,"parameters":` + schema + `}],"input":"` + ask + `"}`},
		{"messages", "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"tools":[{"name":"get_time","strict":true,"input_schema":` + schema + `}],"messages":[{"role":"user","content":"` + ask + `"}]}`},
	}
	for _, c := range cases {
		before := len(upstreamCompletions(t, e.sim))
		body := readBody(t, postJSON(t, e, c.path, c.body, nil))
		if !strings.Contains(body, "get_time") || !strings.Contains(body, `tz`) || strings.Contains(body, "zone") {
			t.Errorf("%s: %s", c.name, body)
		}
		if asked := len(upstreamCompletions(t, e.sim)) - before; e.lastRow().Status != "success" || asked != 2 {
			t.Errorf("%s: %s after %d completions", c.name, e.lastRow().Status, asked)
		}
	}
	// Not strict: the call is passed on as written.
	loose := strings.Replace(strings.Replace(strings.Replace(chat, `"strict":true,`, "", 1), "%s", "", 1), "%s", ask, 1)
	if body := readBody(t, postJSON(t, e, "/v1/chat/completions", loose, nil)); !strings.Contains(body, `zone`) {
		t.Errorf("not strict: %s", body)
	}
	// A model that will not mend it: the simulator's sentence is shorter
	// than the schema's minLength.
	var env struct{ Error struct{ Code string } }
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","tools":[{"type":"function","function":{"name":"get_time","strict":true,"parameters":{"type":"object","properties":{"tz":{"type":"string","minLength":100}},"required":["tz"]}}}],"messages":[{"role":"user","content":"`+ask+`"}]}`, nil)
	body := readBody(t, resp)
	if json.Unmarshal([]byte(body), &env) != nil || resp.StatusCode != http.StatusBadGateway || env.Error.Code != "tool_arguments_unmet" ||
		resp.Header.Get("X-Should-Retry") != "false" || !strings.Contains(body, "at '/tz'") {
		t.Errorf("unmendable: %d %s", resp.StatusCode, body)
	}
}
