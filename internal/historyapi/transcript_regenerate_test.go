package historyapi

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A regenerate (a Responses call asked again from the answer its session's
// latest turn was asked from: an SDK's retry, a user's regenerate) replaces
// that turn's answer: the transcript marks the answer replaced
// (replaced_by, the call that replaced it) and the regenerate
// (regenerates, the call whose answer it replaced), rather than read them
// as two turns in sequence — on every page, whichever way it is read. A
// failed regenerate replaces nothing.
func TestTranscriptMarksARegeneratedAnswer(t *testing.T) {
	storetest.Each(t, testTranscriptMarksARegeneratedAnswer)
}

func testTranscriptMarksARegeneratedAnswer(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	b := qp.Batch{Sessions: []qp.Session{{ID: "s-r", ChatID: "chat-r", ParentID: "p", Model: "qwen3-max", FirstUserMessage: "first",
		MessageCount: 3, CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)}}}
	// c0; c1 from c0's answer; c2 asked again from it (replacing c1's), c3
	// too but failed, c4 too (replacing c2's); c5 from c4's answer.
	previous := []string{"", "resp_c0", "resp_c0", "resp_c0", "resp_c0", "resp_c4"}
	for i, prev := range previous {
		ts := at.Add(time.Duration(i) * time.Second)
		req := map[string]any{"model": "qwen3-max", "input": fmt.Sprintf("question %d", i)}
		if prev != "" {
			req["previous_response_id"] = prev
		}
		body, _ := json.Marshal(req)
		rs := qp.Response{ResponseID: fmt.Sprintf("resp-%d", i), Timestamp: ts.Add(time.Millisecond), Status: qp.StatusSuccess,
			HTTPStatus: 200, FinishReason: "stop", Duration: time.Millisecond, UpstreamAttempts: 1,
			OpenAIResponse: fmt.Appendf(nil, `{"object":"response","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"answer %d"}]}]}`, i)}
		if i == 3 {
			rs.Status, rs.HTTPStatus, rs.FinishReason, rs.ErrorType, rs.ErrorMessage, rs.OpenAIResponse = qp.StatusError, 502, "", qp.ErrorTypeUpstream, "upstream failed", nil
		}
		b.Exchanges = append(b.Exchanges, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("c%d", i), SessionID: "s-r", Timestamp: ts, Method: "POST", Path: "/v1/responses",
				Model: "qwen3-max", OpenAIRequest: body},
			Response: rs})
	}
	mustWrite(t, st, b)
	want := map[string][2]string{ // regenerates, replaced_by
		"c0": {"", ""}, "c1": {"", "c2"}, "c2": {"c1", "c4"}, "c3": {"", ""}, "c4": {"c2", ""}, "c5": {"", ""}}
	checkTranscriptMarks(t, a, "s-r", want, 1, 2, 50)
}

// checkTranscriptMarks reads session id's transcript whole, in pages of
// each of limits in both orders, and checks each call's regenerates and
// replaced_by against want (by request id).
func checkTranscriptMarks(t *testing.T, a *API, id string, want map[string][2]string, limits ...int) {
	t.Helper()
	for _, order := range []string{"asc", "desc"} {
		for _, limit := range limits {
			got := map[string][2]string{}
			cursor := ""
			for page := 0; page < len(want)+1; page++ {
				target := fmt.Sprintf("/v1/sessions/%s/transcript?order=%s&limit=%d", id, order, limit)
				if cursor != "" {
					target += "&after=" + cursor
				}
				w := httptest.NewRecorder()
				r := httptest.NewRequest("GET", target, nil)
				r.SetPathValue("id", id)
				a.SessionTranscript(w, r)
				var env struct {
					Data       []TurnJSON
					HasMore    bool    `json:"has_more"`
					NextCursor *string `json:"next_cursor"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || w.Code != 200 {
					t.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
				}
				for _, turn := range env.Data {
					got[turn.RequestID] = [2]string{turn.Regenerates, turn.ReplacedBy}
				}
				if !env.HasMore || env.NextCursor == nil {
					break
				}
				cursor = *env.NextCursor
			}
			for id, w := range want {
				if got[id] != w {
					t.Errorf("order %s, limit %d: %s regenerates %q, replaced by %q; want %q, %q", order, limit, id, got[id][0], got[id][1], w[0], w[1])
				}
			}
		}
	}
}
