package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
)

// callJSON is the bodies of a call as the API, the export and the CLI show
// them.
type callJSON struct {
	RequestID     string          `json:"request_id"`
	OpenAIRequest json.RawMessage `json:"openai_request"`
	QwenRequest   json.RawMessage `json:"qwen_request"`
	Response      struct {
		OpenAIResponse json.RawMessage `json:"openai_response"`
		QwenResponse   json.RawMessage `json:"qwen_response"`
	} `json:"response"`
}

// Bodies stored as parts and skeletons come back through the history API,
// its export and the CLI's export exactly as a body stored whole did: the
// stored JSON, compacted, its "<", ">" and "&" as sent (encoding/json's
// HTML escaping turned them into \u003c, \u003e and \u0026), bytes that
// are not UTF-8 as U+FFFD (they went out raw: a strict reader refused the
// export's line).
func TestBodiesReadBackThroughAPIAndCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "b.db")
	a := startMock(t, db)
	system := strings.Repeat("You are a careful coding agent; read before you write. ", 300)
	tools := `[{"type":"function","function":{"name":"read","description":"` + strings.Repeat("Reads a file. ", 40) + `"}}]`
	var calls []qp.Exchange
	history := ""
	for turn := range 6 {
		history += fmt.Sprintf(`,{"role":"user","content":"turn %d: %s if a < b && b > c %s"}`, turn, strings.Repeat("please fix the tests ", 10+turn), "\xff")
		body := "{\n  \"model\": \"qwen3-max\",\n  \"messages\": [{\"role\": \"system\", \"content\": \"" + system + "\"}" + history +
			"],\n  \"tools\": " + tools + "\n}"
		answer := fmt.Sprintf(`{"role":"assistant","content":"done %d %s"}`, turn, strings.Repeat("ok ", 60))
		history += "," + answer
		now := time.UnixMilli(time.Now().UnixMilli())
		calls = append(calls, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("00000000-0000-4000-8000-%012d", turn), Timestamp: now, Method: "POST", Path: "/v1/chat/completions",
				Model: "qwen3-max", OpenAIRequest: []byte(body), QwenRequest: []byte(`{"messages":[` + history[1:] + `]}`)},
			Response: qp.Response{ResponseID: fmt.Sprint("agent-r", turn), Timestamp: now, Status: qp.StatusSuccess, HTTPStatus: 200,
				OpenAIResponse: []byte(`{"choices":[{"message":` + answer + `}]}`), QwenResponse: []byte("data: not json\n\n")},
		})
	}
	if err := a.Store().WriteExchanges(context.Background(), calls); err != nil {
		t.Fatal(err)
	}
	shown := func(raw []byte) []byte { // what encoding/json writes for the stored body
		if !json.Valid(raw) {
			q, _ := json.Marshal(string(raw))
			return q
		}
		var b bytes.Buffer
		json.Compact(&b, raw)
		return bytes.ToValidUTF8(b.Bytes(), []byte("\uFFFD")) // JSON text is UTF-8
	}
	check := func(where string, got callJSON) {
		t.Helper()
		var want *qp.Exchange
		for i := range calls {
			if calls[i].Request.RequestID == got.RequestID {
				want = &calls[i]
			}
		}
		if want == nil {
			t.Fatalf("%s: unknown call %q", where, got.RequestID)
		}
		for _, f := range []struct {
			name      string
			got, want []byte
		}{{"openai_request", got.OpenAIRequest, want.Request.OpenAIRequest}, {"qwen_request", got.QwenRequest, want.Request.QwenRequest},
			{"openai_response", got.Response.OpenAIResponse, want.Response.OpenAIResponse},
			{"qwen_response", got.Response.QwenResponse, want.Response.QwenResponse}} {
			if !bytes.Equal(f.got, shown(f.want)) {
				t.Fatalf("%s: %s %s differs: %.100q", where, got.RequestID, f.name, f.got)
			}
		}
	}
	get := func(path string) []byte {
		resp, err := http.Get(a.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	for _, c := range calls {
		var got callJSON
		if err := json.Unmarshal(get("/v1/requests/"+c.Request.RequestID), &got); err != nil {
			t.Fatal(err)
		}
		check("GET /v1/requests/{id}", got)
	}
	lines := func(where string, b []byte) {
		t.Helper()
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var got callJSON
			if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			check(where, got)
			n++
		}
		if n != len(calls) {
			t.Fatalf("%s: %d of %d calls", where, n, len(calls))
		}
	}
	lines("GET /v1/export", get("/v1/export?format=jsonl"))
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, db, "export")
	if code != 0 {
		t.Fatalf("qwenproxy export: %s", errOut)
	}
	lines("qwenproxy export", []byte(out))
}
