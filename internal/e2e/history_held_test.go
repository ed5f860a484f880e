package e2e

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/historyapi"
)

// A call answered while the database refuses the recorder's batches (a
// full disk, the file moved away) has its record in the spool, or in
// memory without one: read by its id — the call, its session, its
// Responses API object and input items, an item_reference to an item it
// gave — it is no "not found" but a 503, which clients retry, at once
// rather than after RecentWait; and once the database takes the records
// it is there. Until 2026-12-07 the recorder counted a record spooled or
// held as written, and each of these reads was a 404 (the item_reference a
// 400) while the client held the answer.
func TestAJustAnsweredCallHeldOrSpooledIsNoNotFound(t *testing.T) {
	for _, c := range []struct {
		name  string
		spool bool
	}{{"held in memory", false}, {"spooled", true}} {
		t.Run(c.name, func(t *testing.T) {
			e := start(t, func(cfg *config.Config) {
				if !c.spool {
					cfg.SpoolPath = ""
				}
			})
			testAHeldCallIsNoNotFound(t, e, c.spool)
		})
	}
}

func testAHeldCallIsNoNotFound(t *testing.T, e *env, spool bool) {
	// Everything the calls need exists before the fault.
	if resp, body := chatCall(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"Before the fault."}]}`, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %d %s", resp.StatusCode, body)
	}
	e.sync()
	db, err := sql.Open("sqlite", "file:"+e.cfg.DatabasePath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER refuse_calls BEFORE INSERT ON requests BEGIN SELECT RAISE(ABORT, 'no room for calls'); END`); err != nil {
		t.Fatal(err)
	}

	resp, body := chatCall(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"While the database refuses it."}]}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat during the fault: %d %s", resp.StatusCode, body)
	}
	requestID, sessionID := resp.Header.Get("X-Request-Id"), resp.Header.Get("X-Session-Id")
	responseID, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":[{"type":"message","id":"msg_held","role":"user","content":"Remember the word quince."}]}`)
	// The writer has met the refusal: the records are where the test says.
	if err := e.app.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st := e.app.Recorder().Stats()
	if spool && (st.SpoolBytes == 0 || st.Held != 0) || !spool && st.Held == 0 || st.Dropped != 0 || st.Written != 1 {
		t.Fatalf("recorder during the fault (spool %v): %+v", spool, st)
	}

	// The history API's 503 and the Responses API's, as README has them.
	const history, responses = "the history database could not answer; try again", "the response could not be read: the database is unavailable"
	reads := []struct{ path, code, message string }{
		{"/v1/requests/" + requestID, "database_error", history},
		{"/v1/requests/" + requestID + "/response", "database_error", history},
		{"/v1/sessions/" + sessionID, "database_error", history},
		{"/v1/sessions/" + sessionID + "/requests", "database_error", history},
		{"/v1/responses/" + responseID, "database_unavailable", responses},
		{"/v1/responses/" + responseID + "/input_items", "database_unavailable", responses},
	}
	for _, r := range reads {
		began := time.Now()
		status, got := getJSON(t, e, http.MethodGet, r.path)
		errObj, _ := got["error"].(map[string]any)
		if status != http.StatusServiceUnavailable || errObj["code"] != r.code || errObj["message"] != r.message {
			t.Errorf("GET %s while its record is not in the database: %d %v, want 503 %s %q", r.path, status, got, r.code, r.message)
		}
		if took := time.Since(began); took >= historyapi.RecentWait {
			t.Errorf("GET %s took %s: the writer had said where the records are", r.path, took)
		}
	}
	// An item the held call gave, named by a later request.
	reference := `{"model":"qwen3-max","input":[{"type":"item_reference","id":"msg_held"},{"role":"user","content":"What was it?"}]}`
	resp = postJSON(t, e, "/v1/responses", reference, nil)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"database_unavailable"`) {
		t.Errorf("an item_reference to an item of the held call: %d %s, want 503 database_unavailable", resp.StatusCode, b)
	}

	if _, err := db.Exec(`DROP TRIGGER refuse_calls`); err != nil {
		t.Fatal(err)
	}
	e.sync() // the spool, or memory, is written first
	for _, r := range reads {
		if status, got := getJSON(t, e, http.MethodGet, r.path); status != http.StatusOK {
			t.Errorf("GET %s once the database takes the records: %d %v", r.path, status, got)
		}
	}
	resp = postJSON(t, e, "/v1/responses", reference, nil)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var answered struct{ Status string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &answered) != nil || answered.Status != "completed" {
		t.Errorf("the item_reference once the database takes the records: %d %s", resp.StatusCode, b)
	}
	// An id never answered is still a 404 once nothing is held.
	if status, _ := getJSON(t, e, http.MethodGet, "/v1/requests/0190a000-0000-7000-8000-000000000000"); status != http.StatusNotFound {
		t.Errorf("an unknown request once nothing is held: %d", status)
	}
}
