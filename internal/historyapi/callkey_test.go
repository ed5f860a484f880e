package historyapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A call is found by the ids its client was answered with, as well as by
// its numeric id and X-Request-Id: those ids were a 400 ("a request id is a
// number or a request UUID"), so a call a client's logs name could not be
// looked up.
func TestRequestFoundByItsAnswersID(t *testing.T) { storetest.Each(t, testRequestFoundByItsAnswersID) }

func testRequestFoundByItsAnswersID(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	const uuid = "01a23433-5cf3-7efe-bdfd-b9cca71b234e"
	at := time.UnixMilli(time.Now().Add(-time.Minute).UnixMilli())
	b := qp.Batch{Exchanges: []qp.Exchange{{
		Request: qp.Request{RequestID: uuid, Timestamp: at, Method: "POST", Path: "/v1/messages", Model: "qwen3-max", ClientIP: "127.0.0.1"},
		Response: qp.Response{ResponseID: "01a23433-5cf4-7000-8000-000000000001", Timestamp: at.Add(time.Millisecond), Status: qp.StatusSuccess,
			HTTPStatus: 200, FinishReason: "stop", Duration: time.Millisecond, UpstreamAttempts: 1}}}}
	mustWrite(t, st, b)
	get := func(id, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/v1/requests/"+id+path, nil)
		r.SetPathValue("id", id)
		if path == "" {
			a.GetRequest(w, r)
		} else {
			a.RequestResponse(w, r)
		}
		return w
	}
	for _, id := range []string{uuid, "1", "chatcmpl-" + uuid, "cmpl-" + uuid, "msg_01a234335cf37efebdfdb9cca71b234e",
		"resp_01a234335cf37efebdfdb9cca71b234eMDFhMjM0MzMtNjNjOS03OTQxLTkyNzctZDQ4NzVjNTZlZmU2", "resp_01a234335cf37efebdfdb9cca71b234e",
		// The ids of a Responses answer's items and its input's, and of an
		// Anthropic server_tool_use: what Codex logs for a function call.
		"msg_01a234335cf37efebdfdb9cca71b234e0", "fc_01a234335cf37efebdfdb9cca71b234e12", "rs_01a234335cf37efebdfdb9cca71b234e0",
		"ws_01a234335cf37efebdfdb9cca71b234e1", "ig_01a234335cf37efebdfdb9cca71b234e0", "ctc_01a234335cf37efebdfdb9cca71b234e3",
		"fco_01a234335cf37efebdfdb9cca71b234ein2", "msg_01a234335cf37efebdfdb9cca71b234ein0", "srvtoolu_01a234335cf37efebdfdb9cca71b234e0",
		// A compaction item, of POST /v1/responses/compact's answer.
		"cmp_01a234335cf37efebdfdb9cca71b234e0"} {
		w := get(id, "")
		var rec struct {
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &rec); err != nil || w.Code != 200 || rec.RequestID != uuid {
			t.Errorf("GET /v1/requests/%s: %d %s", id, w.Code, w.Body)
		}
		if w = get(id, "/response"); w.Code != 200 {
			t.Errorf("GET /v1/requests/%s/response: %d %s", id, w.Code, w.Body)
		}
	}
	// An id of that shape naming no call is a 404; one of no such shape a 400.
	if w := get("msg_01a234335cf37efebdfdb9cca71b2340", ""); w.Code != 404 {
		t.Errorf("an unknown answer id: %d %s, want 404", w.Code, w.Body)
	}
	for _, id := range []string{"msg_01a2", "msg_01a234335cf37efebdfdb9cca71b234e0x", "chatcmpl-1", "resp_zz1234335cf37efebdfdb9cca71b234e", "cmpl-x",
		"fc_01a234335cf37efebdfdb9cca71b234e", "fc_01a234335cf37efebdfdb9cca71b234ein", "zz_01a234335cf37efebdfdb9cca71b234e0",
		"fc_zz1234335cf37efebdfdb9cca71b234e0"} {
		if w := get(id, ""); w.Code != 400 {
			t.Errorf("GET /v1/requests/%s: %d %s, want 400", id, w.Code, w.Body)
		}
	}
	// A client's own item id (as input_items lists it) names no call: the
	// 400 says which msg_… ids do (it listed msg_… whole) and that one
	// names none.
	w := get("msg_k1item", "")
	var e struct {
		Error struct{ Message, Code string }
	}
	if json.Unmarshal(w.Body.Bytes(), &e) != nil || w.Code != 400 || e.Error.Code != "invalid_id" ||
		!strings.Contains(e.Error.Message, "msg_ and 32 hex digits") || !strings.Contains(e.Error.Message, "an id a client gave its own item") ||
		!strings.Contains(e.Error.Message, "names no call") || strings.Contains(e.Error.Message, "msg_…") {
		t.Errorf("GET /v1/requests/msg_k1item: %d %s", w.Code, w.Body)
	}
}
