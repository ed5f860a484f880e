package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// X-Record-Bodies left a call's bodies out of the record only for the word
// "false": "0", "no", "off" or a typo recorded them whole, without a word
// (RECORD_BODIES takes "0" for false). It takes RECORD_BODIES's values, and
// refuses any other with a 400 on every recorded route, recording nothing.
func TestXRecordBodiesTakesBooleansAndRefusesTheRest(t *testing.T) {
	e := start(t, nil)
	for i, v := range []string{"0", "f", "FALSE"} {
		resp := postJSON(t, e, "/v1/chat/completions", `{"messages":[{"role":"user","content":"forget me `+v+`"}]}`, map[string]string{"X-Record-Bodies": v})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("X-Record-Bodies: %s answered %d", v, resp.StatusCode)
		}
		rows := e.rows()
		if len(rows) != i+1 || rows[i].OpenAIRequest.Valid || rows[i].OpenAIResponse.Valid {
			t.Fatalf("X-Record-Bodies: %s: row %+v", v, rows[len(rows)-1])
		}
	}
	for _, route := range []struct{ path, body, errorShape string }{
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"keep out"}]}`, `"param":"X-Record-Bodies"`},
		{"/v1/responses", `{"model":"qwen3-max","input":"keep out"}`, `"param":"X-Record-Bodies"`},
		{"/v1/messages", `{"model":"qwen3-max","max_tokens":16,"messages":[{"role":"user","content":"keep out"}]}`, `"type":"error"`},
	} {
		for _, v := range []string{"no", "off", "flase"} {
			resp := postJSON(t, e, route.path, route.body, map[string]string{"X-Record-Bodies": v})
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "X-Record-Bodies") || !strings.Contains(string(b), route.errorShape) || !json.Valid(b) {
				t.Errorf("%s with X-Record-Bodies: %s: %d %s", route.path, v, resp.StatusCode, b)
			}
		}
	}
	// Given twice, as false and as true: which was meant is not known.
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, e.app.URL()+"/v1/chat/completions", strings.NewReader(`{"messages":[{"role":"user","content":"keep out"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("X-Record-Bodies", "0")
	req.Header.Add("X-Record-Bodies", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "given twice") {
		t.Errorf("X-Record-Bodies given as 0 and as 1: %d %s", resp.StatusCode, b)
	}
	if n := len(e.rows()); n != 3 {
		t.Fatalf("%d calls recorded; the refused ones must not be", n)
	}
}
