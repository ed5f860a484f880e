package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// The history API filters by the proxy API key that made each call, by its
// id (api_key_id=, as recorded): the request and response lists, the
// session list (by the key that opened each session), statistics and
// exports (and their tickets, which take the export's query) hold that
// key's calls alone; an empty api_key_id= is refused as account= is.
func TestHistoryFiltersByAPIKeyID(t *testing.T) {
	const alice, bob, admin = "alice-key-123", "bob-key-456", "admin-key-789"
	e := start(t, func(c *config.Config) { c.APIKeys, c.AdminAPIKeys = []string{alice, bob}, []string{admin} })
	keyedChat(t, e, alice, "", "first of alice")
	keyedChat(t, e, bob, "", "first of bob")
	keyedChat(t, e, alice, "", "second of alice")
	e.sync()
	var aliceID, bobID string
	if err := e.db().QueryRow(`SELECT api_key_id FROM requests ORDER BY id LIMIT 1`).Scan(&aliceID); err != nil {
		t.Fatal(err)
	}
	if err := e.db().QueryRow(`SELECT api_key_id FROM requests WHERE api_key_id <> ? LIMIT 1`, aliceID).Scan(&bobID); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aliceID, "env-") || !strings.HasPrefix(bobID, "env-") {
		t.Fatalf("key ids %q %q", aliceID, bobID)
	}
	get := func(path string) (int, []byte) {
		t.Helper()
		resp := send(t, e, http.MethodGet, path, "", "", map[string]string{"Authorization": "Bearer " + admin})
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for id, want := range map[string]int{aliceID: 2, bobID: 1, "key-00000000": 0} {
		q := "api_key_id=" + url.QueryEscape(id)
		for _, path := range []string{"/v1/requests?", "/v1/responses?", "/v1/sessions?"} {
			status, b := get(path + q)
			var page struct {
				Data  []map[string]any
				Total int
			}
			if err := json.Unmarshal(b, &page); err != nil || status != 200 || len(page.Data) != want || page.Total != want {
				t.Fatalf("%s%s: %d %v %s", path, q, status, err, b)
			}
			for _, row := range page.Data {
				if path == "/v1/requests?" && row["api_key_id"] != id {
					t.Errorf("%s%s listed a call of %v", path, q, row["api_key_id"])
				}
			}
		}
		for _, path := range []string{"/v1/stats?", "/v1/responses/stats?"} {
			status, b := get(path + q)
			var st struct {
				Statistics struct {
					TotalResponses int `json:"total_responses"`
				}
			}
			if err := json.Unmarshal(b, &st); err != nil || status != 200 || st.Statistics.TotalResponses != want {
				t.Errorf("%s%s: %d %v %s", path, q, status, err, b)
			}
		}
		status, b := get("/v1/export?format=jsonl&" + q)
		if lines := strings.Count(string(b), "\n"); status != 200 || lines != want || (want > 0 && !strings.Contains(string(b), `"api_key_id":"`+id+`"`)) {
			t.Errorf("export %s: %d, %d lines: %s", q, status, lines, b)
		}
		// A ticket's export is the export of the query it was made for.
		resp := send(t, e, http.MethodPost, "/v1/export/tickets?format=jsonl&"+q, "", "", map[string]string{"Authorization": "Bearer " + admin})
		var ticket struct{ URL string }
		if raw, _ := io.ReadAll(resp.Body); resp.StatusCode != 201 && resp.StatusCode != 200 || json.Unmarshal(raw, &ticket) != nil || ticket.URL == "" {
			t.Fatalf("ticket %s: %d %s", q, resp.StatusCode, raw)
		}
		got := send(t, e, http.MethodGet, ticket.URL, "", "", nil)
		if b, _ := io.ReadAll(got.Body); got.StatusCode != 200 || strings.Count(string(b), "\n") != want {
			t.Errorf("ticket's export %s: %d %s", q, got.StatusCode, b)
		}
	}
	for _, path := range []string{"/v1/requests", "/v1/responses", "/v1/sessions", "/v1/stats", "/v1/export"} {
		status, b := get(path + "?api_key_id=")
		if status != 400 || !strings.Contains(string(b), `"invalid_filter"`) || !strings.Contains(string(b), `"api_key_id"`) {
			t.Errorf("%s?api_key_id=: %d %s", path, status, b)
		}
	}
}
