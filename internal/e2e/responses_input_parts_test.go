package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// listedItem is an input item as GET …/input_items lists it, its content
// and output left as JSON.
type listedItem struct {
	ID, Type, Role  string
	Content, Output json.RawMessage
}

// inputItemsOf lists a response's input items, oldest first.
func inputItemsOf(t *testing.T, e *env, id string) ([]listedItem, string) {
	t.Helper()
	resp := send(t, e, "GET", "/v1/responses/"+id+"/input_items?order=asc", "", "", nil)
	b, _ := io.ReadAll(resp.Body)
	var page struct{ Data []listedItem }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &page) != nil {
		t.Fatalf("input_items: %d %s", resp.StatusCode, b)
	}
	return page.Data, string(b)
}

// sameJSON reports whether got holds the JSON value want does.
func sameJSON(t *testing.T, got json.RawMessage, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: %v", want, err)
	}
	return json.Unmarshal(got, &g) == nil && reflect.DeepEqual(g, w)
}

// TestResponsesInputItemsListEachPart: GET …/input_items lists each content
// part of a message, and of a call output sent as parts, in order, with its
// own type and fields, as OpenAI lists them (an image sent without a
// detail as "auto"); a string output stays a string. Images and documents
// are listed as the record holds them: a reference, or with
// RECORD_IMAGE_BYTES=true the data: URL sent. A message was listed as one
// text part of its texts joined, its images and files dropped, and an
// output of parts as a string. An item_reference to such a message is
// listed as GET lists the message, and still continues a conversation: an
// image the record keeps a reference of is told as not kept.
func TestResponsesInputItemsListEachPart(t *testing.T) {
	pic := testPNG(t)
	png := "data:image/png;base64," + base64.StdEncoding.EncodeToString(pic)
	pdf := "data:application/pdf;base64," + base64.StdEncoding.EncodeToString(testPDF)
	input := `[{"role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"` + png + `"},` +
		`{"type":"input_file","filename":"r.pdf","file_data":"` + pdf + `"},{"type":"input_image","image_url":"` + png + `","detail":"high"},` +
		`{"type":"input_text","text":"and say"}]},` +
		`{"role":"assistant","content":[{"type":"output_text","text":"Sure."},{"type":"refusal","refusal":"Not that."}]},` +
		`{"type":"function_call","call_id":"call_1","name":"view_image","arguments":"{}"},{"type":"function_call","call_id":"call_2","name":"view_image","arguments":"{}"},` +
		`{"type":"function_call_output","call_id":"call_1","output":[{"type":"input_text","text":"the file"},{"type":"input_image","image_url":"` + png + `","detail":"low"}]},` +
		`{"type":"function_call_output","call_id":"call_2","output":"no <file> here"}]`
	body := `{"model":"qwen3-vl-plus","tools":[{"type":"function","name":"view_image","parameters":{"type":"object"}}],"input":` + input + `}`
	for _, keepBytes := range []bool{false, true} {
		e := start(t, func(c *config.Config) { c.RecordImageBytes = keepBytes })
		id, _ := answeredResponse(t, e, body)
		img := fmt.Sprintf("[image image/png, %d bytes, sha256:%x]", len(pic), sha256.Sum256(pic))
		doc := fmt.Sprintf("[document application/pdf, %d bytes, sha256:%x]", len(testPDF), sha256.Sum256(testPDF))
		if keepBytes {
			img, doc = png, pdf
		}
		items, raw := inputItemsOf(t, e, id)
		if len(items) != 6 {
			t.Fatalf("RECORD_IMAGE_BYTES=%v: %d items: %s", keepBytes, len(items), raw)
		}
		user := `[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"` + img + `","detail":"auto"},` +
			`{"type":"input_file","filename":"r.pdf","file_data":"` + doc + `"},{"type":"input_image","image_url":"` + img + `","detail":"high"},` +
			`{"type":"input_text","text":"and say"}]`
		for _, c := range []struct {
			got  json.RawMessage
			want string
		}{
			{items[0].Content, user},
			{items[1].Content, `[{"type":"output_text","text":"Sure."},{"type":"refusal","refusal":"Not that."}]`},
			{items[4].Output, `[{"type":"input_text","text":"the file"},{"type":"input_image","image_url":"` + img + `","detail":"low"}]`},
			{items[5].Output, `"no <file> here"`},
		} {
			if !sameJSON(t, c.got, c.want) {
				t.Errorf("RECORD_IMAGE_BYTES=%v: listed %s\nwant %s", keepBytes, c.got, c.want)
			}
		}
		if !strings.Contains(raw, `"output":"no <file> here"`) {
			t.Errorf("RECORD_IMAGE_BYTES=%v: a string output is not written as the body around it: %s", keepBytes, raw)
		}

		// A reference to the user message is listed as that message is,
		// under its id, and is taken into the conversation.
		next := `{"model":"qwen3-vl-plus","input":[{"type":"item_reference","id":"` + items[0].ID + `"},{"role":"user","content":"what now?"}]}`
		second, _ := answeredResponse(t, e, next)
		if sent := e.lastRow().QwenRequest.String; strings.Contains(sent, "not kept by the proxy") == keepBytes {
			t.Errorf("RECORD_IMAGE_BYTES=%v: the referenced images reached Qwen as %s", keepBytes, sent)
		}
		listed, raw := inputItemsOf(t, e, second)
		if len(listed) != 2 || listed[0].ID != items[0].ID || listed[0].Role != "user" || !sameJSON(t, listed[0].Content, user) {
			t.Errorf("RECORD_IMAGE_BYTES=%v: the reference listed as %s", keepBytes, raw)
		}
	}
}
