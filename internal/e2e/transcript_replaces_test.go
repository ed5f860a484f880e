package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// transcriptMarks is each turn of a session's transcript (read in one
// page), by request id: the call whose answer it replaced and the call
// that replaced its own.
func transcriptMarks(t *testing.T, e *env, session string) map[string][2]string {
	t.Helper()
	status, page := getJSON(t, e, http.MethodGet, "/v1/sessions/"+session+"/transcript?limit=100")
	if status != 200 {
		t.Fatalf("transcript of %s: %d %v", session, status, page)
	}
	out := map[string][2]string{}
	for _, turn := range page["data"].([]any) {
		m := turn.(map[string]any)
		regenerates, _ := m["regenerates"].(string)
		replacedBy, _ := m["replaced_by"].(string)
		out[m["request_id"].(string)] = [2]string{regenerates, replacedBy}
	}
	return out
}

// chatTurnCall posts a Chat Completions call and returns its answer's text, its
// request id and its session.
func chatTurnCall(t *testing.T, e *env, messages []map[string]string, header map[string]string) (text, requestID, session string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": "qwen3-max", "messages": messages})
	resp := postJSON(t, e, "/v1/chat/completions", string(body), header)
	b, _ := io.ReadAll(resp.Body)
	var v struct {
		Choices []struct{ Message struct{ Content string } }
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &v) != nil || len(v.Choices) != 1 {
		t.Fatalf("chat: %d %s", resp.StatusCode, b)
	}
	return v.Choices[0].Message.Content, resp.Header.Get("X-Request-Id"), resp.Header.Get("X-Session-Id")
}

// A Chat Completions client that sends its conversation again, asking its
// last turn anew (a regenerate: no previous_response_id says so), is asked
// in place of the session's latest turn, as a Responses regenerate is; and
// either, recorded without bodies (X-Record-Bodies: false), is one too. The
// transcript marked none of them: it read a previous_response_id from the
// request body alone. It marks them by what the call's record keeps. On
// PostgreSQL too, where what the last turn came with is read from the
// database (its sessions are not held in memory): the repeat opened a
// session of its own there, and nothing was marked.
func TestTranscriptMarksChatRepeatsAndCallsWithoutBodies(t *testing.T) {
	storetest.EachBackend(t, testTranscriptMarksChatRepeatsAndCallsWithoutBodies)
}

func testTranscriptMarksChatRepeatsAndCallsWithoutBodies(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	for _, bodies := range []bool{true, false} {
		var header map[string]string
		if !bodies {
			header = map[string]string{"X-Record-Bodies": "false"}
		}
		u1 := "my dog is Rex, bodies " + map[bool]string{true: "kept", false: "dropped"}[bodies]
		a1, first, session := chatTurnCall(t, e, []map[string]string{{"role": "user", "content": u1}}, header)
		asked := []map[string]string{{"role": "user", "content": u1}, {"role": "assistant", "content": a1}, {"role": "user", "content": "what is his name?"}}
		_, lost, s2 := chatTurnCall(t, e, asked, header)
		again, regenerate, s3 := chatTurnCall(t, e, asked, header)
		goesOn := append(asked, map[string]string{"role": "assistant", "content": again}, map[string]string{"role": "user", "content": "thanks"})
		_, next, s4 := chatTurnCall(t, e, goesOn, header)
		e.sync()
		if s2 != session || s4 != s3 {
			t.Fatalf("bodies %v: sessions %s %s %s %s", bodies, session, s2, s3, s4)
		}
		want := map[string][2]string{first: {}, lost: {"", regenerate}, regenerate: {lost, ""}, next: {}}
		if s3 != session {
			t.Fatalf("bodies %v: on %s the repeat went to session %s, not %s", bodies, backend, s3, session)
		}
		if got := transcriptMarks(t, e, session); len(got) != len(want) {
			t.Errorf("bodies %v: transcript %v, want %v", bodies, got, want)
		} else {
			for id, w := range want {
				if got[id] != w {
					t.Errorf("bodies %v: %s regenerates %q, replaced by %q; want %q, %q", bodies, id, got[id][0], got[id][1], w[0], w[1])
				}
			}
		}

		// A Responses regenerate (the same previous_response_id again).
		r1 := postResponseWith(t, e, `{"model":"qwen3-max","input":"my bird is Tweety"}`, header)
		body := `{"model":"qwen3-max","input":"her name?","previous_response_id":"` + r1.id + `"}`
		replaced := postResponseWith(t, e, body, header)
		retry := postResponseWith(t, e, body, header)
		e.sync()
		got := transcriptMarks(t, e, r1.session)
		if got[replaced.requestID] != [2]string{"", retry.requestID} || got[retry.requestID] != [2]string{replaced.requestID, ""} || got[r1.requestID] != [2]string{} {
			t.Errorf("bodies %v: the Responses regenerate's transcript %v", bodies, got)
		}
	}
}

type postedResponse struct{ id, requestID, session string }

// postResponseWith posts a Responses call with headers and returns its
// response id, request id and session.
func postResponseWith(t *testing.T, e *env, body string, header map[string]string) postedResponse {
	t.Helper()
	resp := postJSON(t, e, "/v1/responses", body, header)
	b, _ := io.ReadAll(resp.Body)
	var v struct{ ID string }
	if resp.StatusCode != 200 || json.Unmarshal(b, &v) != nil || v.ID == "" {
		t.Fatalf("%s: %d %s", body, resp.StatusCode, b)
	}
	return postedResponse{v.ID, resp.Header.Get("X-Request-Id"), resp.Header.Get("X-Session-Id")}
}
