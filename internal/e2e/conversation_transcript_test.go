package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// A conversation's items added through the Conversations API go to Qwen
// with its next response, before that request's input; the transcript
// showed only the request's input ("What fruit?" where Qwen was told
// "Remember kiwi. What fruit?"). Each turn now shows the items it sent
// first, marked from_conversation.
func TestConversationTranscriptShowsItsItems(t *testing.T) {
	storetest.EachBackend(t, testConversationTranscriptShowsItsItems)
}

type transcriptPage struct {
	Data []struct {
		RequestID string `json:"request_id"`
		Input     []struct {
			Role             string `json:"role"`
			Content          string `json:"content"`
			FromConversation *bool  `json:"from_conversation"`
		} `json:"input"`
		Output *struct{ Content string } `json:"output"`
	} `json:"data"`
}

// inputs is each turn's input as "role:content", marked "conv " when it
// came from the conversation.
func (p transcriptPage) inputs() [][]string {
	var out [][]string
	for _, turn := range p.Data {
		var in []string
		for _, m := range turn.Input {
			s := m.Role + ":" + m.Content
			if m.FromConversation != nil {
				s = "conv " + s
				if !*m.FromConversation {
					s += " (false written out)"
				}
			}
			in = append(in, s)
		}
		out = append(out, in)
	}
	return out
}

func readTranscript(t *testing.T, e *env, session string) transcriptPage {
	t.Helper()
	var p transcriptPage
	if status, b := convCall(t, e, "GET", "/v1/sessions/"+session+"/transcript", "", "", &p); status != http.StatusOK {
		t.Fatalf("transcript: %d %s", status, b)
	}
	return p
}

func testConversationTranscriptShowsItsItems(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "",
		`{"items":[{"type":"message","role":"user","content":"Remember kiwi."},{"role":"user","content":[{"type":"input_text","text":"And plums."}]}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	convResponse(t, e, `{"model":"gpt-5","instructions":"Be brief.","input":"What fruit?","conversation":"`+conv.ID+`"}`)
	if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", "",
		`{"items":[{"role":"user","content":"Now a pear."}]}`, nil); status != http.StatusOK {
		t.Fatalf("add items: %d %s", status, b)
	}
	convResponse(t, e, `{"model":"gpt-5","input":"Which now?","conversation":"`+conv.ID+`"}`)
	convResponse(t, e, `{"model":"gpt-5","input":"Thanks.","conversation":"`+conv.ID+`"}`)

	want := [][]string{
		// The instructions are the system prompt, sent before everything.
		{"system:Be brief.", "conv user:Remember kiwi.", "conv user:And plums.", "user:What fruit?"},
		{"conv user:Now a pear.", "user:Which now?"},
		{"user:Thanks."}, // nothing added since the previous response
	}
	got := readTranscript(t, e, conv.ID)
	if b1, b2 := mustJSON(got.inputs()), mustJSON(want); b1 != b2 {
		t.Fatalf("transcript inputs:\n got %s\nwant %s", b1, b2)
	}
	// A page of the newest turns shows the items of its turns too.
	var one transcriptPage
	if status, b := convCall(t, e, "GET", "/v1/sessions/"+conv.ID+"/transcript?limit=2&order=desc", "", "", &one); status != http.StatusOK ||
		len(one.Data) != 2 || mustJSON(one.inputs()[1]) != mustJSON(want[1]) {
		t.Fatalf("transcript, newest first: %d %s", status, b)
	}

	// Deleted, the conversation's items are gone: the transcript shows what
	// the record has, the requests' own input.
	if status, b := convCall(t, e, "DELETE", "/v1/conversations/"+conv.ID, "", "", nil); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, b)
	}
	want = [][]string{{"system:Be brief.", "user:What fruit?"}, {"user:Which now?"}, {"user:Thanks."}}
	if b1, b2 := mustJSON(readTranscript(t, e, conv.ID).inputs()), mustJSON(want); b1 != b2 {
		t.Fatalf("transcript of the deleted conversation:\n got %s\nwant %s", b1, b2)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
