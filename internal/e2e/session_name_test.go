package e2e

import (
	"io"
	"net/http"
	"testing"
)

// OpenCode's first call in a session is its title's: no tools, its own
// instruction ("Generate a title for this conversation:") as the first user
// message, the user's task after it. The session it opens (X-Session-Id) is
// then the task's, and the history must name it by the task — as it names
// every other agent's session — not list every OpenCode session as
// "Generate a title for this conversation:".
func TestASessionATitleCallOpenedIsNamedByItsTask(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := startOn(t, backend, nil)
			header := map[string]string{"X-Session-Id": "ses_title_first"}
			for _, body := range []string{
				`{"model":"qwen3-max","messages":[{"role":"system","content":"You are a title generator. You output ONLY a thread title."},` +
					`{"role":"user","content":"Generate a title for this conversation:\n"},{"role":"user","content":"fix the flaky upload test"}]}`,
				`{"model":"qwen3-max","messages":[{"role":"system","content":"You are opencode."},{"role":"user","content":"fix the flaky upload test"}],` +
					`"tools":[{"type":"function","function":{"name":"read","parameters":{"type":"object","properties":{"filePath":{"type":"string"}}}}}]}`,
			} {
				resp := postJSON(t, e, "/v1/chat/completions", body, header)
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%d %s", resp.StatusCode, b)
				}
			}
			e.sync()
			got := list(t, e, "/v1/sessions")
			if len(got) != 1 || got[0]["id"] != "ses_title_first" || got[0]["first_user_message"] != "fix the flaky upload test" {
				t.Fatalf("sessions %v", got)
			}
		})
	}
}
