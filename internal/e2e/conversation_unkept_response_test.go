package e2e

import (
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// TestAResponseItsConversationCannotKeepFails: a response answered in a
// conversation that the database then refuses to add to it (here a table
// that takes no entry) is not given to its client as completed: a 503
// database_unavailable, streamed a response.failed with that code, each
// recorded as failed, with the cause in the log. The conversation lists
// none of them, the items added before them stay waiting, and once the
// database takes entries again the next response sends them and goes on in
// the conversation's chat from its last kept answer (the failed turns are
// not on its thread). Until 2026-12-05 the client got the response,
// completed, which its conversation never listed, and its chat went on
// from the unlisted answer. On both backends.
func TestAResponseItsConversationCannotKeepFails(t *testing.T) {
	storetest.EachBackend(t, testAResponseItsConversationCannotKeepFails)
}

func testAResponseItsConversationCannotKeepFails(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"role":"user","content":"My name is Ada."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	convResponse(t, e, `{"model":"gpt-5","input":"one","conversation":"`+conv.ID+`"}`)
	if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", "", `{"items":[{"role":"user","content":"two-a"}]}`, nil); status != http.StatusOK {
		t.Fatalf("add: %d %s", status, b)
	}

	release := refuseConversationEntries(t, e)
	status, b := convCall(t, e, "POST", "/v1/responses", "", `{"model":"gpt-5","input":"two-b","conversation":"`+conv.ID+`"}`, nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(b, `"code":"database_unavailable"`) {
		t.Errorf("a response its conversation could not keep: %d %s", status, b)
	}
	if r := e.lastRow(); r.Status != "error" || r.ErrorType != "database_unavailable" {
		t.Errorf("recorded as %s %s", r.Status, r.ErrorType)
	}
	resp := postJSON(t, e, "/v1/responses", `{"model":"gpt-5","input":"two-b","stream":true,"conversation":"`+conv.ID+`"}`, nil)
	stream := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(stream, "event: response.failed") || !strings.Contains(stream, `"code":"database_unavailable"`) ||
		strings.Contains(stream, "response.completed") {
		t.Errorf("streamed, a response its conversation could not keep: %d %s", resp.StatusCode, stream)
	}
	if r := e.lastRow(); r.Status != "error" || r.ErrorType != "database_unavailable" {
		t.Errorf("streamed, recorded as %s %s", r.Status, r.ErrorType)
	}
	if logs := e.logs(); !strings.Contains(logs, "could not be added to its conversation") {
		t.Errorf("the cause is not logged:\n%s", logs)
	}
	release()

	var texts []string
	for _, it := range listAll(t, e, conv.ID, "asc", 20) {
		texts = append(texts, it.Role+":"+it.text())
	}
	if len(texts) != 4 || texts[3] != "user:two-a" {
		t.Fatalf("the conversation's items after the failed responses: %q", texts)
	}
	_, text, _ := convResponse(t, e, `{"model":"gpt-5","input":"two-b","conversation":"`+conv.ID+`"}`)
	if !strings.Contains(text, "two-a") || !strings.Contains(text, "Earlier answers of mine: 1.") {
		t.Fatalf("the response after the fault does not go on from the conversation's last kept answer: %q", text)
	}
	texts = nil
	for _, it := range listAll(t, e, conv.ID, "asc", 20) {
		texts = append(texts, it.Role+":"+it.text())
	}
	if len(texts) != 6 || texts[3] != "user:two-a" || texts[4] != "user:two-b" || texts[5][:10] != "assistant:" {
		t.Fatalf("the conversation's items: %q", texts)
	}
}

// refuseConversationEntries makes the database refuse every new
// conversation entry, as a database out of room for them would, until
// release.
func refuseConversationEntries(t *testing.T, e *env) (release func()) {
	t.Helper()
	db := writableDB(t, e)
	refuse := `CREATE TRIGGER refuse_entries BEFORE INSERT ON conversation_entries BEGIN SELECT RAISE(ABORT, 'no room for entries'); END`
	allow := `DROP TRIGGER refuse_entries`
	if e.cfg.DatabaseURL != "" {
		refuse = `ALTER TABLE conversation_entries ADD CONSTRAINT refuse_entries CHECK (false) NOT VALID`
		allow = `ALTER TABLE conversation_entries DROP CONSTRAINT refuse_entries`
	}
	if _, err := db.Exec(refuse); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := db.Exec(allow); err != nil {
			t.Fatal(err)
		}
	}
}
