package e2e

import (
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// TestADeletedSessionsBranchesTakeItsOrigin: a client under one fixed
// X-Session-Id branches off twice (a branch of a branch), then deletes the
// middle session with DELETE /v1/sessions/{id} while the server runs (its
// branches' states in memory on SQLite). The branch of the branch named
// the deleted session as its origin: the header naming the first still
// named it only through a session that was gone, and the deleted one's id
// still named it — a new conversation under that id would own it. It now
// takes the first session as its origin: the first's header goes on in
// it, the deleted one's is a conflict. On both backends.
func TestADeletedSessionsBranchesTakeItsOrigin(t *testing.T) {
	storetest.EachBackend(t, testADeletedSessionsBranchesTakeItsOrigin)
}

func testADeletedSessionsBranchesTakeItsOrigin(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	const named = "my-thread"
	answered := func(header, body string) string {
		t.Helper()
		status, id, text, raw := namedResponse(t, e, header, body)
		if status != http.StatusOK || text == "" {
			t.Fatalf("%s under %s: %d %s", body, header, status, raw)
		}
		return id
	}
	ask := func(input, previous string) string {
		return `{"model":"qwen3-max","input":"` + input + `","previous_response_id":"` + previous + `"}`
	}
	r1 := answered(named, `{"model":"qwen3-max","input":"My cat is called Ziggy."}`)
	a := answered(named, ask("Alpha question", r1))
	answered(named, ask("Alpha follow-up", a))
	m := answered(named, ask("Beta question", r1)) // r1 two turns back: a branch
	m2 := answered(named, ask("Beta follow-up", m))
	answered(named, ask("Beta more", m2))
	c := answered(named, ask("Gamma question", m)) // m two turns back: a branch of the branch
	middle, last := sessionOfResponse(t, m), sessionOfResponse(t, c)
	if middle == named || last == middle || last == named {
		t.Fatalf("sessions %s, %s, %s", named, middle, last)
	}

	if status, got := getJSON(t, e, http.MethodDelete, "/v1/sessions/"+middle); status != http.StatusOK || got["deleted"] != true {
		t.Fatalf("DELETE /v1/sessions/%s: %d %v", middle, status, got)
	}
	if status, got := getJSON(t, e, http.MethodGet, "/v1/sessions/"+last); status != http.StatusOK || got["branched_from"] != named {
		t.Fatalf("GET /v1/sessions/%s: %d branched_from %v, want %s", last, status, got["branched_from"], named)
	}
	// The first session's name goes on in the branch's chat.
	c2 := answered(named, ask("Gamma follow-up", c))
	if sessionOfResponse(t, c2) != last {
		t.Fatalf("continuing the branch under %s: session %s, want %s", named, sessionOfResponse(t, c2), last)
	}
	// The deleted session's name no longer names it.
	status, _, _, raw := namedResponse(t, e, middle, ask("Delta question", c2))
	if status != http.StatusBadRequest || !strings.Contains(string(raw), "session_conflict") {
		t.Fatalf("the branch's response under the deleted session's id: %d %s", status, raw)
	}
}
