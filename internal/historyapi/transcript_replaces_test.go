package historyapi

import (
	"fmt"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A call asked in place of its session's latest answer is recorded with the
// call it replaced (qp.Request.Replaces), which a call recorded without
// bodies keeps, and which a Chat Completions call asking its last turn
// again (no previous_response_id in its body) has too. The transcript marked
// neither: it read the previous_response_id from the body alone. It marks
// both by the record, on every page, whichever way it is read; a failed
// call replaces nothing.
func TestTranscriptMarksReplacementsRecordedWithoutBodies(t *testing.T) {
	storetest.Each(t, testTranscriptMarksReplacementsRecordedWithoutBodies)
}

func testTranscriptMarksReplacementsRecordedWithoutBodies(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	b := qp.Batch{Sessions: []qp.Session{{ID: "s-nb", ChatID: "chat-nb", ParentID: "p", Model: "qwen3-max", FirstUserMessage: "first",
		MessageCount: 4, CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)}}}
	// c0, c1; c2 asks c1's turn again (replacing its answer), c3 too but
	// failed, c4 too (replacing c2's); c5 goes on; c6, a Responses call
	// recorded without bodies, regenerates c5's; c7 goes on. Chat calls
	// with bodies (c1, c2) and without (the rest).
	replaces := []string{"", "", "c1", "c2", "c2", "", "c5", ""}
	for i, replaced := range replaces {
		ts := at.Add(time.Duration(i) * time.Second)
		path := "/v1/chat/completions"
		var req, resp []byte
		if i == 1 || i == 2 {
			req = []byte(`{"model":"qwen3-max","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"again"}]}`)
			resp = fmt.Appendf(nil, `{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"answer %d"},"finish_reason":"stop"}]}`, i)
		}
		if i == 6 {
			path = "/v1/responses"
		}
		rs := qp.Response{ResponseID: fmt.Sprintf("resp-%d", i), Timestamp: ts.Add(time.Millisecond), Status: qp.StatusSuccess,
			HTTPStatus: 200, FinishReason: "stop", Duration: time.Millisecond, UpstreamAttempts: 1, OpenAIResponse: resp}
		if i == 3 {
			rs.Status, rs.HTTPStatus, rs.FinishReason, rs.ErrorType, rs.ErrorMessage = qp.StatusError, 502, "", qp.ErrorTypeUpstream, "upstream failed"
		}
		b.Exchanges = append(b.Exchanges, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("c%d", i), SessionID: "s-nb", Timestamp: ts, Method: "POST", Path: path,
				Model: "qwen3-max", OpenAIRequest: req, Replaces: replaced},
			Response: rs})
	}
	mustWrite(t, st, b)
	want := map[string][2]string{ // regenerates, replaced_by
		"c0": {"", ""}, "c1": {"", "c2"}, "c2": {"c1", "c4"}, "c3": {"", ""}, "c4": {"c2", ""}, "c5": {"", "c6"}, "c6": {"c5", ""}, "c7": {"", ""}}
	checkTranscriptMarks(t, a, "s-nb", want, 1, 2, 3, 50)
}
