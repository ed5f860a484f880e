package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestConversationItemsResentAsInput: a client that keeps its history in a
// conversation and sends it back as a response's input (the OpenAI Agents
// SDK's OpenAIConversationsSession reads GET …/items and sends them) gets
// an image the record kept only a reference of ("[image image/png, N
// bytes, sha256:…]", RECORD_IMAGE_BYTES off) back as that reference. Sent
// again it is told as not kept, as in a rebuilt conversation; it was a
// 400 (image_url must be a data: or http(s) URL), which ended the
// client's session for good.
func TestConversationItemsResentAsInput(t *testing.T) {
	e := start(t, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	b64 := base64.StdEncoding.EncodeToString(testPNG(t))
	if _, text, _ := convResponse(t, e, `{"model":"qwen3-vl-plus","input":[{"role":"user","content":[{"type":"input_text","text":"look"},`+
		`{"type":"input_image","image_url":"data:image/png;base64,`+b64+`"}]}],"conversation":"`+conv.ID+`"}`); !strings.Contains(text, "I see 1 image") {
		t.Fatalf("first: %q", text)
	}
	var l struct{ Data []json.RawMessage }
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items?order=asc", "", "", &l); status != http.StatusOK || len(l.Data) != 2 {
		t.Fatalf("list: %d %s", status, b)
	}
	if !strings.Contains(string(l.Data[0]), "sha256:") {
		t.Fatalf("the image is listed as %s, not its reference: this test needs the reference", l.Data[0])
	}
	history := `[` + string(l.Data[0]) + `,` + string(l.Data[1]) + `,{"role":"user","content":"and now?"}]`
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-vl-plus","input":`+history+`}`, nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the listed items sent back: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(body, "not kept by the proxy") {
		t.Fatalf("the image's reference was not told as not kept: %s", body)
	}
}
