package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Chat Completions, legacy completions and the image routes refuse a model
// name over 256 characters, but the Messages and Responses APIs took one of
// any length: a claude-* or gpt-* name of a megabyte was mapped onto
// DEFAULT_MODEL, answered, echoed whole in the answer and recorded whole as
// the call's model (a row of a megabyte, counted by model ever after). Every
// client API now holds a model name to the same bound, and a call refused
// so records nothing.
func TestEveryAPIBoundsTheModelName(t *testing.T) {
	e := start(t, nil)
	long := strings.Repeat("a", 300)
	for _, tc := range []struct{ path, body string }{
		{"/v1/messages", `{"model":"claude-` + long + `","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/messages/count_tokens", `{"model":"claude-` + long + `","messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/responses", `{"model":"gpt-` + long + `","input":"hi"}`},
		{"/v1/responses/input_tokens", `{"model":"gpt-` + long + `","input":"hi"}`},
		{"/v1/chat/completions", `{"model":"gpt-` + long + `","messages":[{"role":"user","content":"hi"}]}`},
	} {
		resp := postJSON(t, e, tc.path, tc.body, nil)
		body, _ := io.ReadAll(resp.Body)
		var got struct {
			Error struct{ Message, Param string }
		}
		_ = json.Unmarshal(body, &got)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(got.Error.Message, "at most 256 characters") {
			t.Errorf("%s with a model of %d characters: %d %.200s", tc.path, len(long)+7, resp.StatusCode, body)
		}
	}
	if err := e.app.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	resp := send(t, e, http.MethodGet, "/v1/requests?limit=1", "", "", nil)
	var list struct{ Total int }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || list.Total != 0 {
		t.Errorf("calls recorded: %d (%v), want none", list.Total, err)
	}
}
