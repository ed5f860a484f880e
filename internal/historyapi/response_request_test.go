package historyapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// GET /v1/responses/{id} carries a summary of its request, whose model is the
// one the client asked for, as the request list has it: it said the Qwen
// model that answered (qwen3-max for a call that asked for gpt-4o), the
// response's own model repeated.
func TestAResponsesRequestNamesTheModelAskedFor(t *testing.T) {
	storetest.Each(t, testAResponsesRequestNamesTheModelAskedFor)
}

func testAResponsesRequestNamesTheModelAskedFor(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Minute).UnixMilli())
	b := qp.Batch{Exchanges: []qp.Exchange{{
		Request: qp.Request{RequestID: "0190a000-0000-7000-8000-000000000001", Timestamp: at, Method: "POST",
			Path: "/v1/chat/completions", Model: "gpt-4o", ClientIP: "127.0.0.1", UserAgent: "test"},
		Response: qp.Response{ResponseID: "0190a000-0000-7000-8000-000000000002", Model: "qwen3-max", Timestamp: at.Add(time.Millisecond),
			Status: qp.StatusSuccess, HTTPStatus: 200, FinishReason: "stop", Duration: time.Millisecond, UpstreamAttempts: 1}}}}
	mustWrite(t, st, b)
	for _, id := range []string{"1", "0190a000-0000-7000-8000-000000000002"} {
		req := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/v1/responses/"+id, nil)
		r.SetPathValue("id", id)
		a.GetResponse(req, r)
		var got struct {
			Model   string `json:"model"`
			Request struct {
				Model     string `json:"model"`
				RequestID string `json:"request_id"`
			} `json:"request"`
		}
		if err := json.Unmarshal(req.Body.Bytes(), &got); req.Code != 200 || err != nil {
			t.Fatalf("GET /v1/responses/%s: %d %v %s", id, req.Code, err, req.Body)
		}
		if got.Model != "qwen3-max" || got.Request.Model != "gpt-4o" || got.Request.RequestID != "0190a000-0000-7000-8000-000000000001" {
			t.Errorf("GET /v1/responses/%s: model %q, its request's %q (%s), want qwen3-max answering the gpt-4o asked for",
				id, got.Model, got.Request.Model, got.Request.RequestID)
		}
	}
}
