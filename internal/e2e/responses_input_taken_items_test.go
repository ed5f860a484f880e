package e2e

import (
	"strings"
	"testing"
)

// GET …/input_items lists the items the proxy takes without reading them —
// a reasoning item, a hosted tool's call of a conversation begun at OpenAI
// (web_search_call, image_generation_call, …) — as sent, under their own
// ids, or under one of the response's when sent without: they were left
// out, so the list lacked items the request had (and after could not page
// past them).
func TestResponsesInputItemsListTheItemsTakenUnread(t *testing.T) {
	e := start(t, nil)
	input := `[{"role":"user","content":"what is new in Oslo?"},` +
		`{"type":"reasoning","id":"rs_abc","summary":[{"type":"summary_text","text":"search it"}]},` +
		`{"type":"web_search_call","id":"ws_abc","status":"completed","action":{"type":"search","query":"Oslo news"}},` +
		`{"type":"mcp_list_tools","server_label":"docs","tools":[]},` +
		`{"role":"assistant","content":[{"type":"output_text","text":"Snow."}]},` +
		`{"role":"user","content":"and Bergen?"}]`
	id, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":`+input+`}`)
	items, raw := inputItemsOf(t, e, id)
	var got []string
	for _, it := range items {
		got = append(got, it.Type+" "+it.ID)
	}
	hex := strings.ReplaceAll(strings.TrimPrefix(id, "resp_")[:32], "-", "")
	want := []string{"message msg_" + hex + "in0", "reasoning rs_abc", "web_search_call ws_abc", "mcp_list_tools mcpl_" + hex + "in3",
		"message msg_" + hex + "in4", "message msg_" + hex + "in5"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("input items:\n%s\nwant\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), raw)
	}
	for _, part := range []string{`"summary":[{"type":"summary_text","text":"search it"}]`, `"action":{"type":"search","query":"Oslo news"}`, `"server_label":"docs"`} {
		if !strings.Contains(raw, part) {
			t.Errorf("input items lack %s as sent: %s", part, raw)
		}
	}
	// after pages past an item taken unread.
	resp := send(t, e, "GET", "/v1/responses/"+id+"/input_items?order=asc&after=ws_abc&limit=1", "", "", nil)
	defer resp.Body.Close()
	if page := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(page, `"mcpl_`+hex+`in3"`) {
		t.Errorf("after=ws_abc: %d %s", resp.StatusCode, page)
	}
}
