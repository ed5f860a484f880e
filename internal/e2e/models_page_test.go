package e2e

import "testing"

// TestModelListPagesForTheAnthropicSDK: GET /v1/models takes the paging of
// Anthropic's Models API (limit, after_id, before_id), which its SDKs'
// models.list sends; the proxy ignored it and answered every model with
// has_more false, whatever the limit. Without paging the list is whole.
func TestModelListPagesForTheAnthropicSDK(t *testing.T) {
	e := start(t, nil)
	_, whole := getJSON(t, e, "GET", "/v1/models")
	all := whole["data"].([]any)
	if len(all) < 3 || whole["has_more"] != false {
		t.Fatalf("whole list: %d models, has_more %v", len(all), whole["has_more"])
	}
	id := func(m any) string { return m.(map[string]any)["id"].(string) }

	status, page := getJSON(t, e, "GET", "/v1/models?limit=1")
	data, _ := page["data"].([]any)
	if status != 200 || len(data) != 1 || id(data[0]) != id(all[0]) || page["has_more"] != true || page["last_id"] != id(all[0]) {
		t.Fatalf("limit=1: %d %v", status, page)
	}
	status, page = getJSON(t, e, "GET", "/v1/models?limit=1&after_id="+id(all[0]))
	data, _ = page["data"].([]any)
	if status != 200 || len(data) != 1 || id(data[0]) != id(all[1]) || page["first_id"] != id(all[1]) {
		t.Fatalf("after_id: %d %v", status, page)
	}
	status, page = getJSON(t, e, "GET", "/v1/models?limit=5&before_id="+id(all[1]))
	data, _ = page["data"].([]any)
	if status != 200 || len(data) != 1 || id(data[0]) != id(all[0]) || page["has_more"] != false {
		t.Fatalf("before_id: %d %v", status, page)
	}
	for _, q := range []string{"limit=0", "limit=lots", "after_id=no-such-model"} {
		if status, body := getJSON(t, e, "GET", "/v1/models?"+q); status != 400 {
			t.Errorf("%s: %d %v, want 400", q, status, body)
		}
	}
}
