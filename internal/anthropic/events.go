package anthropic

import (
	"encoding/json"

	"qwenproxy/internal/openai"
)

// Event encodes one server-sent event: "event: <type>" and its JSON data.
// Every event's data carries its type too, as Anthropic sends it.
func Event(typ string, data any) []byte {
	b := make([]byte, 0, 128)
	b = append(b, "event: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: "...)
	j, _ := json.Marshal(data) // the package's own types: cannot fail
	b = append(b, j...)
	return append(b, "\n\n"...)
}

// MessageStart opens the stream with the message's empty shell.
func MessageStart(id, model string) []byte {
	return Event("message_start", map[string]any{"type": "message_start", "message": Response{
		ID: id, Type: "message", Role: "assistant", Model: model, Content: []ContentBlock{}}})
}

// Ping is the keep-alive event.
func Ping() []byte { return []byte("event: ping\ndata: {\"type\": \"ping\"}\n\n") }

// BlockStart opens block index with its empty shell.
func BlockStart(index int, block ContentBlock) []byte {
	switch block.Type {
	case "text":
		block.Text = new(string)
	case "thinking":
		block.Thinking, block.Signature = new(string), new(string)
	case "tool_use":
		block.Input = json.RawMessage("{}")
	}
	return Event("content_block_start", map[string]any{"type": "content_block_start", "index": index, "content_block": block})
}

// TextDelta, ThinkingDelta, SignatureDelta and InputJSONDelta add to the open
// block.
func TextDelta(index int, text string) []byte {
	return delta(index, map[string]string{"type": "text_delta", "text": text})
}

// ThinkingDelta adds reasoning.
func ThinkingDelta(index int, thinking string) []byte {
	return delta(index, map[string]string{"type": "thinking_delta", "thinking": thinking})
}

// SignatureDelta closes a thinking block's content with its signature.
func SignatureDelta(index int) []byte {
	return delta(index, map[string]string{"type": "signature_delta", "signature": Signature})
}

// InputJSONDelta is a piece of a tool_use block's input.
func InputJSONDelta(index int, partial string) []byte {
	return delta(index, map[string]string{"type": "input_json_delta", "partial_json": partial})
}

func delta(index int, d map[string]string) []byte {
	return Event("content_block_delta", map[string]any{"type": "content_block_delta", "index": index, "delta": d})
}

// BlockStop closes block index.
func BlockStop(index int) []byte {
	return Event("content_block_stop", map[string]any{"type": "content_block_stop", "index": index})
}

// MessageDelta carries the stop reason and the usage at the end.
func MessageDelta(stopReason string, stopSequence *string, u Usage) []byte {
	return Event("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stopReason, "stop_sequence": stopSequence}, "usage": u})
}

// MessageStop ends the stream.
func MessageStop() []byte { return Event("message_stop", map[string]string{"type": "message_stop"}) }

// ErrorEvent reports a failure once the stream has started.
func ErrorEvent(e *openai.Error) []byte { return Event("error", errorEnvelope(e)) }
