package server

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// inputItems lists a recorded request's input as OpenAI lists it: each
// content part of a message, and of a call output sent as parts, in order
// with its type and fields, as the record holds it (an image by its
// reference); a string content as one text part; a string output as a
// string; an item_reference as the item it names, under its id. Messages
// were one text part of their texts joined, without their images and
// files, and outputs of parts a string.
func TestInputItemsListEachPartAsRecorded(t *testing.T) {
	const img = "[image image/png, 68 bytes, sha256:ab]"
	recorded := `{"model":"m","input":[
		{"role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"` + img + `"},` +
		`{"type":"input_file","filename":"r.pdf","file_data":"[document application/pdf, 9 bytes, sha256:cd]"},{"type":"input_text","text":"and say"}]},
		{"role":"assistant","content":[{"type":"output_text","text":"Sure.","annotations":[]},{"type":"refusal","refusal":"Not that."}]},
		{"type":"function_call","call_id":"call_1","name":"view","arguments":"{}"},
		{"type":"function_call_output","call_id":"call_1","output":[{"type":"input_text","text":"the file"},{"type":"input_image","image_url":"` + img + `","detail":"low"}]},
		{"type":"custom_tool_call","call_id":"call_2","name":"patch","input":"x"},
		{"type":"custom_tool_call_output","call_id":"call_2","output":"done"},
		{"type":"item_reference","id":"msg_stored"},
		{"type":"item_reference","id":"msg_gone"},
		{"role":"user","content":"go on"}]}`
	var req responses.Request
	if err := json.Unmarshal([]byte(recorded), &req); err != nil {
		t.Fatal(err)
	}
	lookup := func(id string) (*responses.Item, *openai.Error) {
		if id != "msg_stored" {
			return nil, nil
		}
		return &responses.Item{Type: "message", Role: "user", Content: json.RawMessage(`[{"type":"input_image","image_url":"https://example.com/a.png","detail":"high"}]`)}, nil
	}
	const hex = "0190aaaabbbbccccddddeeeeffff0000"
	listed, _ := inputItems(&req, "0190aaaa-bbbb-cccc-dddd-eeeeffff0000", lookup)
	got, _ := json.Marshal(listed)
	want := `[
		{"id":"msg_` + hex + `in0","type":"message","role":"user","status":"completed","content":[{"type":"input_text","text":"look"},
			{"type":"input_image","image_url":"` + img + `","detail":"auto"},
			{"type":"input_file","filename":"r.pdf","file_data":"[document application/pdf, 9 bytes, sha256:cd]"},{"type":"input_text","text":"and say"}]},
		{"id":"msg_` + hex + `in1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Sure."},{"type":"refusal","refusal":"Not that."}]},
		{"id":"fc_` + hex + `in2","type":"function_call","status":"completed","call_id":"call_1","name":"view","arguments":"{}"},
		{"id":"fco_` + hex + `in3","type":"function_call_output","status":"completed","call_id":"call_1",
			"output":[{"type":"input_text","text":"the file"},{"type":"input_image","image_url":"` + img + `","detail":"low"}]},
		{"id":"ctc_` + hex + `in4","type":"custom_tool_call","status":"completed","call_id":"call_2","name":"patch","input":"x"},
		{"id":"ctco_` + hex + `in5","type":"custom_tool_call_output","status":"completed","call_id":"call_2","output":"done"},
		{"id":"msg_stored","type":"message","role":"user","status":"completed","content":[{"type":"input_image","image_url":"https://example.com/a.png","detail":"high"}]},
		{"id":"msg_` + hex + `in8","type":"message","role":"user","status":"completed","content":[{"type":"input_text","text":"go on"}]}]`
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("listed %s\nwant   %s", got, want)
	}

	// A string input is one user message of one input_text part.
	req = responses.Request{}
	_ = json.Unmarshal([]byte(`{"model":"m","input":"hello"}`), &req)
	listed, _ = inputItems(&req, "0190aaaa-bbbb-cccc-dddd-eeeeffff0000", nil)
	if got, _ := json.Marshal(listed); string(got) !=
		`[{"id":"msg_`+hex+`in0","type":"message","role":"user","status":"completed","content":[{"type":"input_text","text":"hello"}]}]` {
		t.Fatalf("a string input listed %s", got)
	}
}

// A response is served while OpenAI would serve it: stored, until deleted;
// not stored, only when it ran in the background, for its polling window
// (about ten minutes), after which it is gone.
func TestServedObjectKeepsAnUnstoredBackgroundResponseForItsPolling(t *testing.T) {
	yes, no := true, false
	made := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		store, background *bool
		after             time.Duration
		want              bool
	}{
		{nil, nil, 24 * time.Hour, true},
		{&yes, &yes, 24 * time.Hour, true},
		{&no, nil, 0, false},
		{&no, &no, 0, false},
		{&no, &yes, 0, true},
		{&no, &yes, 9 * time.Minute, true},
		{&no, &yes, 10 * time.Minute, false},
	} {
		if got := servedObject(c.store, c.background, made, made.Add(c.after)); got != c.want {
			t.Errorf("store %v, background %v, %v after: served %v, want %v", deref(c.store), deref(c.background), c.after, got, c.want)
		}
	}
}

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}
