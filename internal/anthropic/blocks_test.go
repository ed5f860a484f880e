package anthropic

import (
	"testing"

	"qwenproxy/internal/openai"
)

// A bad block is told as that block: a block of a type the proxy does not
// read is refused by its type, even when one of its fields has another JSON
// type than Block's (a search_result's string source), and a read block's
// field of the wrong type is named. All were "messages.0.content: must be a
// string or a list of content blocks", though the content was such a list.
func TestABadBlockIsToldAsThatBlock(t *testing.T) {
	const searchResult = `{"type":"search_result","source":"https://example.com/a","title":"A","content":[{"type":"text","text":"fact"}]}`
	for content, want := range map[string]string{
		`[` + searchResult + `,{"type":"text","text":"use it"}]`:                            `messages.0.content.0: "search_result" blocks are not supported in user messages (text, image, document, tool_result only)`,
		`[{"type":"tool_result","tool_use_id":"toolu_1","content":[` + searchResult + `]}]`: `messages.0.content.0.content.0: only text, image and document blocks are supported here, not "search_result"`,
		`[{"type":"image","source":"https://example.com/cat.png"}]`:                         `messages.0.content.0.source: must not be a JSON string in the image block`,
		`[{"type":"text","text":5}]`:                                                        `messages.0.content.0.text: must not be a JSON number in the text block`,
		`[7]`:                                                                               `messages.0.content.0: must be a content block, an object with a type`,
		`{"a":1}`:                                                                           `messages.0.content: must be a string or a list of content blocks`,
	} {
		var r Request
		if err := openai.Decode([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":`+content+`}]}`), &r); err != nil {
			t.Fatalf("%s: %v", content, err)
		}
		err := r.Validate(false)
		if err == nil || err.Message != want || err.Status != 400 {
			t.Errorf("%s:\n got %v\nwant %s", content, err, want)
		}
	}
}
