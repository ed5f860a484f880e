package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// The dashboard's exports come by a link: an admin key's POST makes a
// one-time ticket, and its URL, which no key may reach without and which
// names no key, is the export of GET /v1/export byte for byte, once. The
// log never shows the ticket.
func TestExportTicketIsTheExportByALink(t *testing.T) {
	e := start(t, func(c *config.Config) { c.APIKeys, c.AdminAPIKeys = []string{"u-key"}, []string{"a-key"} })
	// A session named as a spreadsheet formula: the CSV escapes it.
	for _, session := range []string{"", "-2-3"} {
		resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`,
			map[string]string{"Authorization": "Bearer u-key", "X-Session-Id": session})
		if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 {
			t.Fatalf("call: %d %s", resp.StatusCode, b)
		}
	}
	e.sync()

	for key, want := range map[string]int{"": 401, "wrong-key": 401, "u-key": 403} {
		if resp := call(t, e, "POST", "/v1/export/tickets?format=csv", key, ""); resp.StatusCode != want {
			t.Errorf("a ticket with key %q: %d, want %d", key, resp.StatusCode, want)
		}
	}
	get := func(path, key string) (int, string) {
		req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, e.app.URL()+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, query := range []string{"?format=csv", "?format=jsonl", "?format=csv&status=success&stream=false"} {
		resp := send(t, e, "POST", "/v1/export/tickets"+query, "", "", map[string]string{"Authorization": "Bearer a-key"})
		var v struct{ URL string }
		if err := json.NewDecoder(resp.Body).Decode(&v); resp.StatusCode != 201 || err != nil || v.URL == "" || strings.Contains(v.URL, "a-key") {
			t.Fatalf("ticket %s: %d %v %+v", query, resp.StatusCode, err, v)
		}
		status, want := get("/v1/export"+query, "a-key")
		if status != 200 || want == "" {
			t.Fatalf("export %s: %d", query, status)
		}
		if status, got := get(v.URL, ""); status != 200 || got != want {
			t.Fatalf("download of %s: %d\n%s\nwant\n%s", query, status, got, want)
		}
		if strings.Contains(query, "csv") && !strings.Contains(want, `,'-2-3,`) {
			t.Fatalf("the CSV does not escape the formula: %s", want)
		}
		if status, _ := get(v.URL, "a-key"); status != 404 {
			t.Fatalf("a used ticket: %d", status)
		}
		if strings.Contains(e.logs(), strings.TrimPrefix(v.URL, "/downloads/")) {
			t.Fatalf("the log shows the ticket")
		}
	}
}
