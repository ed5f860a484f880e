package anthropic

import (
	"encoding/json"

	"qwenproxy/internal/jsonscan"
)

// DecodeInPlace decodes body into r as json.Unmarshal does, reading the
// messages' contents, the system prompt and the tools in place (strings
// checked by jsonscan's scan): an agent's request is mostly long texts,
// which encoding/json passed over twice for the body and twice more for
// each message's blocks. It reports false, having changed
// nothing, for what it does not read exactly as json.Unmarshal would (a
// key in another case or sent twice, a null message, a wrong type,
// malformed JSON): openai.Decode then takes encoding/json's way, which
// also words the error. FuzzDecodeInPlace holds it to json.Unmarshal.
func (r *Request) DecodeInPlace(body []byte) bool {
	return jsonscan.DecodeObject(body, r, requestKeys, func(name string, v json.RawMessage, req *Request) bool {
		switch name {
		case "model":
			return jsonscan.DecodeString(v, &req.Model)
		case "messages":
			return decodeMessages(v, &req.Messages)
		case "system":
			return jsonscan.DecodeRaw(v, &req.System)
		case "stream":
			return jsonscan.DecodeBool(v, &req.Stream)
		case "tools":
			return decodeTools(v, &req.Tools)
		case "output_format":
			return jsonscan.DecodeRaw(v, &req.OutputFormat)
		case "max_tokens":
			return jsonscan.DecodeRaw(v, &req.MaxTokens)
		case "stop_sequences":
			return json.Unmarshal(v, &req.StopSequences) == nil
		case "temperature":
			return json.Unmarshal(v, &req.Temperature) == nil
		case "top_p":
			return json.Unmarshal(v, &req.TopP) == nil
		case "top_k":
			return jsonscan.DecodeRaw(v, &req.TopK)
		case "metadata":
			return json.Unmarshal(v, &req.Metadata) == nil
		case "tool_choice":
			return json.Unmarshal(v, &req.ToolChoice) == nil
		case "thinking":
			return json.Unmarshal(v, &req.Thinking) == nil
		case "compaction":
			return json.Unmarshal(v, &req.Compaction) == nil
		default: // "output_config"
			return json.Unmarshal(v, &req.OutputConfig) == nil
		}
	})
}

// The JSON names of Request's, Message's, Tool's, Block's and Source's
// fields.
var (
	requestKeys = []string{"model", "max_tokens", "messages", "system", "stream", "stop_sequences", "temperature", "top_p", "top_k",
		"metadata", "tools", "tool_choice", "thinking", "output_config", "output_format", "compaction"}
	messageKeys = []string{"role", "content"}
	toolKeys    = []string{"type", "name", "description", "input_schema", "strict", "max_uses", "allowed_domains", "blocked_domains", "user_location", "defer_loading", "max_characters"}
	blockKeys   = []string{"type", "text", "id", "name", "input", "tool_use_id", "content", "is_error", "source", "title", "context", "thinking", "signature", "data", "tool", "tool_changes", "tool_name"}
	sourceKeys  = []string{"type", "media_type", "data", "url", "content"}
)

func decodeMessages(v json.RawMessage, dst *[]Message) bool {
	return jsonscan.DecodeObjects(v, dst, messageKeys, func(name string, v json.RawMessage, m *Message) bool {
		switch name {
		case "role":
			return jsonscan.DecodeString(v, &m.Role)
		default: // "content"
			return jsonscan.DecodeRaw(v, &m.Content)
		}
	})
}

func decodeTools(v json.RawMessage, dst *[]Tool) bool {
	return jsonscan.DecodeObjects(v, dst, toolKeys, func(name string, v json.RawMessage, t *Tool) bool {
		switch name {
		case "type":
			return jsonscan.DecodeString(v, &t.Type)
		case "name":
			return jsonscan.DecodeString(v, &t.Name)
		case "description":
			return jsonscan.DecodeString(v, &t.Description)
		case "strict":
			return json.Unmarshal(v, &t.Strict) == nil
		case "max_uses":
			return jsonscan.DecodeRaw(v, &t.MaxUses)
		case "allowed_domains":
			return jsonscan.DecodeRaw(v, &t.AllowedDomains)
		case "blocked_domains":
			return jsonscan.DecodeRaw(v, &t.BlockedDomains)
		case "user_location":
			return jsonscan.DecodeRaw(v, &t.UserLocation)
		case "defer_loading":
			return jsonscan.DecodeRaw(v, &t.DeferLoading)
		case "max_characters":
			return jsonscan.DecodeRaw(v, &t.MaxCharacters)
		default: // "input_schema"
			return jsonscan.DecodeRaw(v, &t.InputSchema)
		}
	})
}

// decodeBlocksInPlace is a list of blocks decoded as json.Unmarshal decodes
// it into []Block, or false (see DecodeInPlace).
func decodeBlocksInPlace(v json.RawMessage) ([]Block, bool) {
	var blocks []Block
	ok := jsonscan.DecodeObjects(v, &blocks, blockKeys, func(name string, v json.RawMessage, b *Block) bool {
		switch name {
		case "type":
			return jsonscan.DecodeString(v, &b.Type)
		case "text":
			return jsonscan.DecodeStringPointer(v, &b.Text)
		case "id":
			return jsonscan.DecodeString(v, &b.ID)
		case "name":
			return jsonscan.DecodeString(v, &b.Name)
		case "input":
			return jsonscan.DecodeRaw(v, &b.Input)
		case "tool_use_id":
			return jsonscan.DecodeString(v, &b.ToolUseID)
		case "content":
			return jsonscan.DecodeRaw(v, &b.Content)
		case "is_error":
			return jsonscan.DecodeBool(v, &b.IsError)
		case "source":
			return decodeSource(v, &b.Source)
		case "title":
			return jsonscan.DecodeString(v, &b.Title)
		case "context":
			return jsonscan.DecodeString(v, &b.Context)
		case "thinking":
			return jsonscan.DecodeRaw(v, &b.Thinking)
		case "signature":
			return jsonscan.DecodeRaw(v, &b.Signature)
		case "tool":
			return jsonscan.DecodeRaw(v, &b.Tool)
		case "tool_changes":
			return jsonscan.DecodeRaw(v, &b.ToolChanges)
		case "tool_name":
			return jsonscan.DecodeString(v, &b.ToolName)
		default: // "data"
			return jsonscan.DecodeRaw(v, &b.Data)
		}
	})
	return blocks, ok
}

// decodeSource reads an image's or a document's source: its base64 data is
// a long string.
func decodeSource(v json.RawMessage, dst **Source) bool {
	return jsonscan.DecodeObjectPointer(v, dst, sourceKeys, func(name string, v json.RawMessage, s *Source) bool {
		switch name {
		case "type":
			return jsonscan.DecodeString(v, &s.Type)
		case "media_type":
			return jsonscan.DecodeString(v, &s.MediaType)
		case "data":
			return jsonscan.DecodeString(v, &s.Data)
		case "url":
			return jsonscan.DecodeString(v, &s.URL)
		}
		return jsonscan.DecodeRaw(v, &s.Content)
	})
}
