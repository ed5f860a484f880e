package anthropic

import (
	"encoding/json"

	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/jsonw"
	"qwenproxy/internal/openai"
)

// Event encodes one server-sent event: "event: <type>" and its JSON data,
// which starts with its type, as Anthropic sends it. fields must not hold
// "type".
func Event(typ string, fields map[string]any) []byte {
	b := make([]byte, 0, 128)
	b = append(b, "event: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: {\"type\":"...)
	b = jsonw.String(b, typ)
	if len(fields) > 0 {
		j, _ := json.Marshal(fields) // the package's own types: cannot fail
		b = append(b, ',')
		b = append(b, j[1:]...)
	} else {
		b = append(b, '}')
	}
	return append(b, "\n\n"...)
}

// MessageStart opens the stream with the message's empty shell and the usage
// known so far (the prompt's input_tokens, as Anthropic sends them).
func MessageStart(id, model string, usage Usage) []byte {
	return Event("message_start", map[string]any{"message": Response{
		ID: id, Type: "message", Role: "assistant", Model: model, Content: []ContentBlock{}, Usage: usage}})
}

// Ping is the keep-alive event.
func Ping() []byte { return []byte("event: ping\ndata: {\"type\": \"ping\"}\n\n") }

// BlockStart opens block index with its empty shell.
func BlockStart(index int, block ContentBlock) []byte {
	switch block.Type {
	case "text":
		block.Text, block.Citations = new(string), noCitations
	case "thinking":
		block.Thinking, block.Signature = new(string), new(string)
	case "tool_use", "server_tool_use":
		block.Input, block.Caller = json.RawMessage("{}"), directCaller
	case "compaction":
		// Opened without its summary, which its one compaction_delta
		// carries: "content":null, as Anthropic opens one.
		shell := map[string]any{"type": "compaction", "content": nil, "encrypted_content": nil}
		if block.ToolChanges != nil {
			shell["tool_changes"] = block.ToolChanges
		}
		return Event("content_block_start", map[string]any{"index": index, "content_block": shell})
	}
	return Event("content_block_start", map[string]any{"index": index, "content_block": block})
}

// TextDelta, ThinkingDelta, SignatureDelta and InputJSONDelta add to the open
// block.
func TextDelta(index int, text string) []byte {
	return delta(index, ordered{"text_delta", "text", text})
}

// ThinkingDelta adds reasoning.
func ThinkingDelta(index int, thinking string) []byte {
	return delta(index, ordered{"thinking_delta", "thinking", thinking})
}

// SignatureDelta closes a thinking block's content with its signature.
func SignatureDelta(index int) []byte {
	return delta(index, ordered{"signature_delta", "signature", Signature})
}

// InputJSONDelta is a piece of a tool_use block's input.
func InputJSONDelta(index int, partial string) []byte {
	return delta(index, ordered{"input_json_delta", "partial_json", partial})
}

// ordered is a delta object with its type first: {"type":…,"<key>":…}.
type ordered struct{ typ, key, value string }

func (o ordered) MarshalJSON() ([]byte, error) {
	b := append([]byte(`{"type":`), jsonw.String(nil, o.typ)...)
	b = append(b, ',')
	b = jsonw.String(b, o.key)
	b = append(b, ':')
	b = jsonw.String(b, o.value)
	return append(b, '}'), nil
}

func delta(index int, d ordered) []byte {
	return Event("content_block_delta", map[string]any{"index": index, "delta": d})
}

// BlockStop closes block index.
func BlockStop(index int) []byte {
	return Event("content_block_stop", map[string]any{"index": index})
}

// MessageDelta carries the stop reason and the usage at the end.
func MessageDelta(stopReason string, stopSequence *string, u Usage) []byte {
	// container and stop_details are null, as in the message (Response);
	// the SDKs' stream helpers copy stop_details onto the message.
	return Event("message_delta", map[string]any{
		"delta": map[string]any{"stop_reason": stopReason, "stop_sequence": stopSequence, "container": nil, "stop_details": nil},
		"usage": deltaUsage(u)})
}

// MessageStop ends the stream.
func MessageStop() []byte { return Event("message_stop", nil) }

// ErrorEvent reports a failure once the stream has started.
func ErrorEvent(e *openai.Error) []byte {
	d := errorDetailOf(e)
	if d.Type == "rate_limit_error" && !httpjson.NotToRetry(e) {
		// Anthropic limits a rate before a stream opens, never in one: a
		// stream broken off by Qwen asking to slow down is told as an
		// overloaded API, which Claude Code retries (its retry then waits
		// out the account's rest as a 429), where it reports a
		// rate_limit_error at once and ends the run.
		d.Type = "overloaded_error"
	}
	return Event("error", map[string]any{"error": d})
}
