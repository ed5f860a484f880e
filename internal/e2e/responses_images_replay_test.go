package e2e

import (
	"encoding/base64"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// A Responses conversation with an image, continued by
// previous_response_id after Qwen lost its chat: the new chat is told the
// conversation rebuilt from the record. The record keeps a reference, not
// the image, so the rebuild failed and the new chat was told nothing at all
// (the model forgot the whole conversation, text included, and the client
// got a 200). Now the conversation is told with the image named as not
// kept; with RECORD_IMAGE_BYTES=true the image goes up again, attached.
func TestAResponsesConversationWithAnImageKeepsItsHistoryInANewChat(t *testing.T) {
	pic := testPNG(t)
	first := `{"model":"qwen3-vl-plus","input":[{"role":"user","content":[{"type":"input_text","text":"My cat is called Vermilion."},` +
		`{"type":"input_image","image_url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(pic) + `"}]}]}`
	for _, keepBytes := range []bool{false, true} {
		e := start(t, func(c *config.Config) { c.RecordImageBytes = keepBytes })
		id, _ := answeredResponse(t, e, first)
		uploads := e.sim.Uploads()
		e.sim.ForgetChats()
		_, text := answeredResponse(t, e, `{"model":"qwen3-vl-plus","input":"What is my cat called?","previous_response_id":"`+id+`"}`)
		if !strings.Contains(text, "Vermilion") {
			t.Fatalf("RECORD_IMAGE_BYTES=%v: the new chat was not told the conversation: %q", keepBytes, text)
		}
		if keepBytes {
			if !strings.Contains(text, "I see 1 image") || e.sim.Uploads() != uploads+1 || !strings.Contains(text, "[an image, attached]") {
				t.Fatalf("the kept image did not go up again with the conversation (%d uploads, then %d): %q", uploads, e.sim.Uploads(), text)
			}
		} else if e.sim.Uploads() != uploads || !strings.Contains(text, "not kept by the proxy") {
			t.Fatalf("an image not kept is not said to be so (%d uploads, then %d): %q", uploads, e.sim.Uploads(), text)
		}
	}
}
