package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/store/storetest"
)

// A call answered a moment ago is in every history read: by its id, in the
// lists of calls, responses and sessions, in the stats, in its session's
// transcript, and in an export started after its answer. Its record may
// still wait in the recorder's queue (RECORDER_LINGER), which these reads
// write first. Until the linger ended, the request, its response and its
// session were 404, the lists and stats lacked it (the dashboard's
// Conversations page showed none), the transcript lacked the turn and the
// export the call.
func TestAJustAnsweredCallIsInTheHistory(t *testing.T) {
	storetest.EachBackend(t, testAJustAnsweredCallIsInTheHistory)
}

func testAJustAnsweredCallIsInTheHistory(t *testing.T, backend string) {
	e := startOn(t, backend, func(c *config.Config) { c.RecorderLinger = time.Minute })
	resp, body0 := chatCall(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"Just now."}]}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %d %s", resp.StatusCode, body0)
	}
	var body string
	requestID, sessionID := resp.Header.Get("X-Request-Id"), resp.Header.Get("X-Session-Id")
	for _, list := range []string{"/v1/sessions", "/v1/requests", "/v1/responses"} {
		if status, got := getJSON(t, e, http.MethodGet, list); status != http.StatusOK || len(got["data"].([]any)) != 1 {
			t.Errorf("GET %s right after the first answer: %d %v", list, status, got)
		}
	}
	if status, got := getJSON(t, e, http.MethodGet, "/v1/stats"); status != http.StatusOK || got["statistics"].(map[string]any)["total_responses"] != 1.0 {
		t.Errorf("GET /v1/stats right after the first answer: %d %v", status, got)
	}
	status, req := getJSON(t, e, http.MethodGet, "/v1/requests/"+requestID)
	if status != http.StatusOK || req["request_id"] != requestID {
		t.Fatalf("GET /v1/requests/%s: %d %v", requestID, status, req)
	}
	// The response and session of the same call, by their ids.
	rsp, _ := req["response"].(map[string]any)
	responseID, _ := rsp["response_id"].(string)
	if responseID == "" {
		t.Fatalf("no response_id in %v", req)
	}
	if status, got := getJSON(t, e, http.MethodGet, "/v1/responses/"+responseID); status != http.StatusOK || got["response_id"] != responseID {
		t.Errorf("GET /v1/responses/%s: %d %v", responseID, status, got)
	}
	if status, got := getJSON(t, e, http.MethodGet, "/v1/sessions/"+sessionID); status != http.StatusOK || got["id"] != sessionID {
		t.Errorf("GET /v1/sessions/%s: %d %v", sessionID, status, got)
	}
	// A session's next turn is in its transcript and its state at once.
	resp, body = chatCall(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"Just now."},{"role":"assistant","content":"`+answerOf(t, body0)+`"},{"role":"user","content":"Then."}]}`,
		map[string]string{"X-Session-Id": sessionID})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("second turn: %d %s", resp.StatusCode, body)
	}
	if status, got := getJSON(t, e, http.MethodGet, "/v1/sessions/"+sessionID+"/transcript"); status != http.StatusOK || len(got["data"].([]any)) != 2 {
		t.Errorf("the transcript after two turns: %d %v", status, got)
	}
	if status, got := getJSON(t, e, http.MethodGet, "/v1/sessions/"+sessionID+"/requests"); status != http.StatusOK || len(got["data"].([]any)) != 2 {
		t.Errorf("the session's calls after two turns: %d %v", status, got)
	}
	// An export started right after an answer holds it too.
	resp, body = chatCall(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"And now."}]}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %d %s", resp.StatusCode, body)
	}
	if export := fetch(t, e, "/v1/export?format=jsonl&bodies=false"); !strings.Contains(export, resp.Header.Get("X-Request-Id")) {
		t.Errorf("the export has not the call just answered: %s", export)
	}
	// An id that was never answered is still a 404 (after the queue is written).
	if status, _ := getJSON(t, e, http.MethodGet, "/v1/requests/0190a000-0000-7000-8000-000000000000"); status != http.StatusNotFound {
		t.Errorf("an unknown request: %d", status)
	}
}

// answerOf is a chat completion's answer text, as JSON string content.
func answerOf(t *testing.T, body string) string {
	t.Helper()
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Choices) == 0 {
		t.Fatalf("not an answer: %v %s", err, body)
	}
	b, _ := json.Marshal(out.Choices[0].Message.Content)
	return string(b[1 : len(b)-1])
}

// A read waits for the queue only so long: while another process held the
// SQLite file's write lock, the writer retried its commit for many seconds
// and every read that writes the queue first waited behind it — a list
// 25–45 s, a just-answered call's 404 after 35 s, the Responses API's
// retrieval of an answer as long. Each now answers what the database has
// — a read by id that finds nothing within historyapi.RecentWait, a 503:
// the call may be among what is queued, and is no "not found" (until
// 2026-12-06 a 404, also when a commit on a loaded machine outlasted the
// wait) —, and once the lock is gone the call is there.
func TestHistoryReadsAnswerWhileTheDatabaseTakesNoWrites(t *testing.T) {
	e := startOn(t, "sqlite", nil)
	if resp, body := chatCall(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"Before the lock."}]}`, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %d %s", resp.StatusCode, body)
	}
	e.sync()

	// Another process's write transaction, held until the end of the reads.
	other, err := sql.Open("sqlite", e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctxT(t), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	unlock := sync.OnceFunc(func() {
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	})
	defer unlock()

	resp, body := chatCall(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"While it is locked."}]}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat under the lock: %d %s", resp.StatusCode, body)
	}
	requestID := resp.Header.Get("X-Request-Id")
	// Twice what a read by id may wait (RecentWait): a read behind the
	// writer's retries took 25 s and more.
	client := &http.Client{Timeout: 2 * historyapi.RecentWait}
	read := func(method, path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, e.app.URL()+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s while the database takes no writes: %v", method, path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/v1/sessions", "/v1/requests", "/v1/responses", "/v1/stats", "/v1/export?format=csv"} {
		if status := read(http.MethodGet, path, ""); status != http.StatusOK {
			t.Errorf("GET %s while the database takes no writes: %d", path, status)
		}
	}
	if status := read(http.MethodGet, "/v1/requests/"+requestID, ""); status != http.StatusServiceUnavailable {
		t.Errorf("the call still queued, by its id: %d, want 503", status)
	}
	// A Responses API answer, retrieved by its id: its record is queued.
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"Also while it is locked."}`, nil)
	b, _ := io.ReadAll(resp.Body)
	body = string(b)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a Responses call under the lock: %d %s", resp.StatusCode, body)
	}
	var created struct{ ID string }
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.ID == "" {
		t.Fatalf("no response id: %v %s", err, body)
	}
	if status := read(http.MethodGet, "/v1/responses/"+created.ID, ""); status != http.StatusServiceUnavailable {
		t.Errorf("GET /v1/responses/%s (the Responses API's) while the database takes no writes: %d, want 503", created.ID, status)
	}

	unlock()
	e.sync()
	if status, got := getJSON(t, e, http.MethodGet, "/v1/requests/"+requestID); status != http.StatusOK || got["request_id"] != requestID {
		t.Errorf("the call answered under the lock, once it is gone: %d %v", status, got)
	}
}

// DELETE /v1/requests?before= deletes every call that started before its
// cut-off, also one answered a moment ago whose record still waits in the
// recorder's queue: the delete left it, and the writer put it in after, so an
// operator clearing the history before a time found calls from before it.
func TestDeleteBeforeTakesTheCallsStillQueued(t *testing.T) {
	storetest.EachBackend(t, testDeleteBeforeTakesTheCallsStillQueued)
}

func testDeleteBeforeTakesTheCallsStillQueued(t *testing.T, backend string) {
	e := startOn(t, backend, func(c *config.Config) { c.RecorderLinger = time.Minute })
	resp, body := chatCall(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"Delete me."}]}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %d %s", resp.StatusCode, body)
	}
	cutOff := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	if status, got := getJSON(t, e, http.MethodDelete, "/v1/requests?before="+cutOff); status != http.StatusOK || num(got["deleted"]) != 1 {
		t.Errorf("DELETE /v1/requests?before=%s right after an answer: %d %v, want 1 deleted", cutOff, status, got)
	}
	if status, got := getJSON(t, e, http.MethodGet, "/v1/requests"); status != http.StatusOK || num(got["total"]) != 0 {
		t.Errorf("the calls left after deleting every one: %d %v", status, got)
	}
}
