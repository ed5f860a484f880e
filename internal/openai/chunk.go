package openai

import (
	"strconv"
	"unicode/utf8"
)

// ChunkEncoder writes the server-sent events of one streamed answer. Every
// chunk of a stream shares id, created and model, so their JSON prefix is
// built once; each event is then an append of the delta, not a full
// encoding/json pass. Chat and legacy completion streams differ only in
// object name and in where the text goes.
type ChunkEncoder struct {
	legacy bool
	prefix []byte // data: {"id":…,"model":…,"choices":[
	buf    []byte
}

// NewChatChunkEncoder encodes chat.completion.chunk events.
func NewChatChunkEncoder(id, model string, created int64) *ChunkEncoder {
	return newChunkEncoder(false, "chat.completion.chunk", id, model, created)
}

// NewTextChunkEncoder encodes legacy text_completion events.
func NewTextChunkEncoder(id, model string, created int64) *ChunkEncoder {
	return newChunkEncoder(true, "text_completion", id, model, created)
}

func newChunkEncoder(legacy bool, object, id, model string, created int64) *ChunkEncoder {
	p := []byte(`data: {"id":`)
	p = AppendString(p, id)
	p = append(p, `,"object":"`...)
	p = append(p, object...)
	p = append(p, `","created":`...)
	p = strconv.AppendInt(p, created, 10)
	p = append(p, `,"model":`...)
	p = AppendString(p, model)
	p = append(p, `,"choices":[`...)
	return &ChunkEncoder{legacy: legacy, prefix: p}
}

// Role is the opening chunk: the assistant role with empty content.
func (e *ChunkEncoder) Role() []byte {
	if e.legacy {
		return e.text("", "")
	}
	return e.delta(`{"role":"assistant","content":""}`, "", "")
}

// Content is a piece of answer text.
func (e *ChunkEncoder) Content(s string) []byte {
	if e.legacy {
		return e.text(s, "")
	}
	return e.delta(`{"content":`, s, "")
}

// Reasoning is a piece of the model's thinking. Legacy completions have no
// place for it and get nothing.
func (e *ChunkEncoder) Reasoning(s string) []byte {
	if e.legacy {
		return nil
	}
	return e.delta(`{"reasoning_content":`, s, "")
}

// ToolCallStart opens tool call index: its id, type and function name.
func (e *ChunkEncoder) ToolCallStart(index int, id, name string) []byte {
	b := append(e.buf[:0], e.prefix...)
	b = append(b, `{"index":0,"delta":{"tool_calls":[{"index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"id":`...)
	b = AppendString(b, id)
	b = append(b, `,"type":"function","function":{"name":`...)
	b = AppendString(b, name)
	b = append(b, `,"arguments":""}}]}`...)
	b = appendFinish(b, "")
	e.buf = b
	return b
}

// ToolCallArguments carries (a fragment of) tool call index's arguments.
func (e *ChunkEncoder) ToolCallArguments(index int, args string) []byte {
	b := append(e.buf[:0], e.prefix...)
	b = append(b, `{"index":0,"delta":{"tool_calls":[{"index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"function":{"arguments":`...)
	b = AppendString(b, args)
	b = append(b, `}}]}`...)
	b = appendFinish(b, "")
	e.buf = b
	return b
}

// FunctionCall carries a legacy function call (the functions form), or a
// piece of it: the name in the first chunk, the arguments after.
func (e *ChunkEncoder) FunctionCall(name, args string) []byte {
	b := append(e.buf[:0], e.prefix...)
	b = append(b, `{"index":0,"delta":{"function_call":{`...)
	if name != "" {
		b = append(b, `"name":`...)
		b = AppendString(b, name)
		b = append(b, ',')
	}
	b = append(b, `"arguments":`...)
	b = AppendString(b, args)
	b = append(b, `}}`...)
	b = appendFinish(b, "")
	e.buf = b
	return b
}

// Finish is the chunk carrying finish_reason.
func (e *ChunkEncoder) Finish(reason string) []byte {
	if e.legacy {
		return e.text("", reason)
	}
	return e.delta(`{}`, "", reason)
}

// Usage is the final usage chunk (stream_options.include_usage).
func (e *ChunkEncoder) Usage(u Usage) []byte {
	b := append(e.buf[:0], e.prefix...)
	b = append(b, `],"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(u.PromptTokens), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(u.CompletionTokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.TotalTokens), 10)
	b = append(b, "}}\n\n"...)
	e.buf = b
	return b
}

// delta writes {"index":0,"delta":<open><str>},"finish_reason":…}. When open
// is a complete object, str is ignored.
func (e *ChunkEncoder) delta(open, str, finish string) []byte {
	b := append(e.buf[:0], e.prefix...)
	b = append(b, `{"index":0,"delta":`...)
	b = append(b, open...)
	if open[len(open)-1] == ':' {
		b = AppendString(b, str)
		b = append(b, '}')
	}
	b = appendFinish(b, finish)
	e.buf = b
	return b
}

func (e *ChunkEncoder) text(s, finish string) []byte {
	b := append(e.buf[:0], e.prefix...)
	b = append(b, `{"text":`...)
	b = AppendString(b, s)
	b = append(b, `,"index":0,"logprobs":null`...)
	b = appendFinish(b, finish)
	e.buf = b
	return b
}

func appendFinish(b []byte, finish string) []byte {
	b = append(b, `,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = AppendString(b, finish)
	}
	return append(b, "}]}\n\n"...)
}

// Done is the stream terminator.
var Done = []byte("data: [DONE]\n\n")

// ErrorEvent is the event sent when a started stream fails: the error
// envelope as one data event.
func ErrorEvent(err *Error) []byte {
	body, _ := err.MarshalJSON() // only strings: cannot fail
	b := make([]byte, 0, len(body)+8)
	b = append(b, "data: "...)
	b = append(b, body...)
	return append(b, "\n\n"...)
}

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string. It escapes what JSON requires and
// the characters browsers mishandle inside scripts (<, >, &, U+2028/2029), as
// encoding/json does, and replaces invalid UTF-8.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
