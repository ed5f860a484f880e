package responses

import (
	"encoding/json"

	"qwenproxy/internal/jsonscan"
)

// DecodeInPlace decodes body into r as json.Unmarshal does, reading the
// input, the tools and the instructions in place (strings checked by a scan
// rather than by encoding/json's state machine, which passed over a Codex
// request twice for the body and twice more for its input items). It
// reports false, having changed nothing, for what it does not read exactly
// as json.Unmarshal would (a key in another case or sent twice, a wrong
// type, malformed JSON): openai.Decode then takes encoding/json's way,
// which also words the error. FuzzDecodeInPlace holds it to json.Unmarshal.
func (r *Request) DecodeInPlace(body []byte) bool {
	return jsonscan.DecodeObject(body, r, requestKeys, func(name string, v json.RawMessage, req *Request) bool {
		switch name {
		case "model":
			return jsonscan.DecodeString(v, &req.Model)
		case "input":
			return jsonscan.DecodeRaw(v, &req.Input)
		case "instructions":
			return jsonscan.DecodeStringPointer(v, &req.Instructions)
		case "tools":
			return decodeTools(v, &req.Tools)
		case "tool_choice":
			return jsonscan.DecodeRaw(v, &req.ToolChoice)
		case "stream":
			return jsonscan.DecodeBool(v, &req.Stream)
		case "stream_options":
			return json.Unmarshal(v, &req.StreamOptions) == nil
		case "previous_response_id":
			return jsonscan.DecodeString(v, &req.PreviousResponseID)
		case "conversation":
			return jsonscan.DecodeRaw(v, &req.ConversationParam)
		case "store":
			return json.Unmarshal(v, &req.Store) == nil
		case "reasoning":
			return json.Unmarshal(v, &req.Reasoning) == nil
		case "max_output_tokens":
			return jsonscan.DecodeRaw(v, &req.MaxOutputTokens)
		case "temperature":
			return json.Unmarshal(v, &req.Temperature) == nil
		case "top_p":
			return json.Unmarshal(v, &req.TopP) == nil
		case "parallel_tool_calls":
			return json.Unmarshal(v, &req.ParallelToolCalls) == nil
		case "metadata":
			return json.Unmarshal(v, &req.Metadata) == nil
		case "include":
			return json.Unmarshal(v, &req.Include) == nil
		case "truncation":
			return json.Unmarshal(v, &req.Truncation) == nil
		default: // "text"
			return json.Unmarshal(v, &req.Text) == nil
		}
	})
}

// The JSON names of Request's, Tool's, Item's and part's fields.
var (
	requestKeys = []string{"model", "input", "instructions", "tools", "tool_choice", "stream", "stream_options", "store", "previous_response_id", "reasoning",
		"max_output_tokens", "temperature", "top_p", "parallel_tool_calls", "metadata", "include", "truncation", "text", "conversation"}
	toolKeys = []string{"type", "name", "description", "parameters", "strict", "format", "tools", "search_context_size", "user_location", "filters",
		"size", "quality", "background", "moderation", "output_format", "output_compression", "partial_images", "input_fidelity", "input_image_mask", "max_num_results"}
	itemKeys = []string{"type", "id", "role", "content", "call_id", "name", "arguments", "input", "output", "summary", "tools", "encrypted_content"}
	partKeys = []string{"type", "text", "refusal", "image_url", "detail", "file_data", "filename", "file_id", "file_url"}
)

func decodeTools(v json.RawMessage, dst *[]Tool) bool {
	return jsonscan.DecodeObjects(v, dst, toolKeys, func(name string, v json.RawMessage, t *Tool) bool {
		switch name {
		case "type":
			return jsonscan.DecodeString(v, &t.Type)
		case "name":
			return jsonscan.DecodeString(v, &t.Name)
		case "description":
			return jsonscan.DecodeString(v, &t.Description)
		case "parameters":
			return jsonscan.DecodeRaw(v, &t.Parameters)
		case "strict":
			return json.Unmarshal(v, &t.Strict) == nil
		case "format":
			return jsonscan.DecodeRaw(v, &t.Format)
		case "search_context_size":
			return jsonscan.DecodeRaw(v, &t.SearchContextSize)
		case "user_location":
			return jsonscan.DecodeRaw(v, &t.UserLocation)
		case "filters":
			return jsonscan.DecodeRaw(v, &t.Filters)
		case "size":
			return jsonscan.DecodeRaw(v, &t.Size)
		case "quality":
			return jsonscan.DecodeRaw(v, &t.Quality)
		case "background":
			return jsonscan.DecodeRaw(v, &t.Background)
		case "moderation":
			return jsonscan.DecodeRaw(v, &t.Moderation)
		case "output_format":
			return jsonscan.DecodeRaw(v, &t.OutputFormat)
		case "output_compression":
			return jsonscan.DecodeRaw(v, &t.OutputCompression)
		case "partial_images":
			return jsonscan.DecodeRaw(v, &t.PartialImages)
		case "input_fidelity":
			return jsonscan.DecodeRaw(v, &t.InputFidelity)
		case "input_image_mask":
			return jsonscan.DecodeRaw(v, &t.InputImageMask)
		case "max_num_results":
			return jsonscan.DecodeRaw(v, &t.MaxNumResults)
		default: // "tools": a namespace's
			return decodeTools(v, &t.Tools)
		}
	})
}

// decodeItemsInPlace is a list of input items decoded as json.Unmarshal
// decodes it into []Item, or false (see DecodeInPlace).
func decodeItemsInPlace(v json.RawMessage) ([]Item, bool) {
	var items []Item
	ok := jsonscan.DecodeObjects(v, &items, itemKeys, func(name string, v json.RawMessage, it *Item) bool {
		switch name {
		case "type":
			return jsonscan.DecodeString(v, &it.Type)
		case "id":
			return jsonscan.DecodeString(v, &it.ID)
		case "role":
			return jsonscan.DecodeString(v, &it.Role)
		case "content":
			return jsonscan.DecodeRaw(v, &it.Content)
		case "call_id":
			return jsonscan.DecodeString(v, &it.CallID)
		case "name":
			return jsonscan.DecodeString(v, &it.Name)
		case "arguments":
			return jsonscan.DecodeString(v, &it.Arguments)
		case "input":
			return jsonscan.DecodeString(v, &it.Input)
		case "output":
			return jsonscan.DecodeRaw(v, &it.Output)
		case "tools":
			return jsonscan.DecodeRaw(v, &it.Tools)
		case "encrypted_content":
			return jsonscan.DecodeStringPointer(v, &it.EncryptedContent)
		default: // "summary"
			return jsonscan.DecodeRaw(v, &it.Summary)
		}
	})
	return items, ok
}

// decodePartsInPlace is a list of content parts decoded as json.Unmarshal
// decodes it into []part, or false (see DecodeInPlace).
func decodePartsInPlace(v json.RawMessage) ([]part, bool) {
	var parts []part
	ok := jsonscan.DecodeObjects(v, &parts, partKeys, func(name string, v json.RawMessage, p *part) bool {
		switch name {
		case "type":
			return jsonscan.DecodeString(v, &p.Type)
		case "text":
			return jsonscan.DecodeStringPointer(v, &p.Text)
		case "refusal":
			return jsonscan.DecodeStringPointer(v, &p.Refusal)
		case "image_url":
			return jsonscan.DecodeString(v, &p.ImageURL)
		case "detail":
			return jsonscan.DecodeString(v, &p.Detail)
		case "file_data":
			return jsonscan.DecodeString(v, &p.FileData)
		case "filename":
			return jsonscan.DecodeString(v, &p.Filename)
		case "file_id":
			return jsonscan.DecodeString(v, &p.FileID)
		default: // "file_url"
			return jsonscan.DecodeString(v, &p.FileURL)
		}
	})
	return parts, ok
}
