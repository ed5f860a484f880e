package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// A session's model is the Qwen model its chat is on: a turn answered on
// another model in the same chat (a client that switches models mid
// conversation) moves it there, so that the session shows and is filtered
// by the model its chat is on now. It stayed the first turn's model, and
// model= of the second never found the session. A turn that fails leaves
// it as it was: the chat was not answered on that model.
func TestSessionModelFollowsItsAnsweredTurns(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, backend string) {
		e := startOn(t, backend, nil)
		const session = "switches-models"
		ask := func(model, text string) *http.Response {
			body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}]}`, model, text)
			return postJSON(t, e, "/v1/chat/completions", body, map[string]string{"X-Session-Id": session})
		}
		modelOf := func() (string, int) {
			e.sync()
			status, s := getJSON(t, e, http.MethodGet, "/v1/sessions/"+session)
			if status != 200 {
				t.Fatalf("GET /v1/sessions/%s: %d %v", session, status, s)
			}
			return s["model"].(string), num(s["message_count"])
		}
		if resp := ask("qwen3-max", "first, on qwen3-max"); resp.StatusCode != 200 {
			t.Fatalf("first turn: %d", resp.StatusCode)
		}
		if resp := ask(qwensim.TextOnlyModel, "second, on another model"); resp.StatusCode != 200 {
			t.Fatalf("second turn: %d", resp.StatusCode)
		}
		if model, turns := modelOf(); model != qwensim.TextOnlyModel || turns != 2 {
			t.Fatalf("after a turn on %s: session model %q, %d turns", qwensim.TextOnlyModel, model, turns)
		}
		for path, n := range map[string]int{"/v1/sessions?model=" + qwensim.TextOnlyModel: 1, "/v1/sessions?model=qwen3-max": 0} {
			if status, total, rows := listed(t, e, path); status != 200 || total != n || rows != n {
				t.Fatalf("%s: %d, total %d, %d rows; want %d", path, status, total, rows, n)
			}
		}
		e.sim.Inject(qwensim.Fault{Status: 400, Times: 10})
		if resp := ask("qwen3-max", "third, fails"); resp.StatusCode == 200 {
			t.Fatal("the injected fault did not fail the third turn")
		}
		if model, turns := modelOf(); model != qwensim.TextOnlyModel || turns != 2 {
			t.Fatalf("after a failed turn on qwen3-max: session model %q, %d turns", model, turns)
		}
	})
}
