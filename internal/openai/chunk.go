package openai

import (
	"strconv"

	"qwenproxy/internal/jsonw"
)

// ChunkEncoder writes the server-sent events of one streamed answer. Every
// chunk of a stream shares id, created and model, so their JSON prefix is
// built once; each event is then an append of the delta, not a full
// encoding/json pass. Chat and legacy completion streams differ only in
// object name and in where the text goes.
type ChunkEncoder struct {
	legacy bool
	prefix []byte // data: {"id":…,"model":…,"choices":[
	// end closes each chunk after its choices: `}`, or `,"usage":null}`
	// once IncludeUsage is set.
	end string
	buf []byte
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
	// Sized for the whole prefix (quotes, the longest date; an id or model
	// that needs escaping grows it): grown from its first literal, it took
	// five allocations a stream.
	const frame = len(`data: {"id":""`) + len(`,"object":"`) + len(`","created":`) + len("-9223372036854775808") + len(`,"model":""`) + len(`,"choices":[`)
	p := make([]byte, 0, frame+len(id)+len(object)+len(model))
	p = append(p, `data: {"id":`...)
	p = jsonw.String(p, id)
	p = append(p, `,"object":"`...)
	p = append(p, object...)
	p = append(p, `","created":`...)
	p = strconv.AppendInt(p, created, 10)
	p = append(p, `,"model":`...)
	p = jsonw.String(p, model)
	p = append(p, `,"choices":[`...)
	return &ChunkEncoder{legacy: legacy, prefix: p, end: "}"}
}

// IncludeUsage makes every chunk but the usage chunk carry "usage": null,
// as OpenAI documents stream_options.include_usage: the field is present
// on all of a stream's chunks, null except on the last.
func (e *ChunkEncoder) IncludeUsage() {
	e.end = `,"usage":null}`
}

// Role is the opening chunk: the assistant role alone. It goes out before
// the answer's first piece is known (with it, or with the keep-alive), and
// that piece may be reasoning or a call: a "content": "" here (OpenAI's
// first chunk of a text answer) began a text that never came, which
// openai-go's ChatCompletionAccumulator then reported finished, empty, and
// the AI SDK opened as an empty text part.
func (e *ChunkEncoder) Role() []byte {
	if e.legacy {
		return e.text("", "")
	}
	return e.delta(`{"role":"assistant"}`, "", "")
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
	b = jsonw.String(b, id)
	b = append(b, `,"type":"function","function":{"name":`...)
	b = jsonw.String(b, name)
	b = append(b, `,"arguments":""}}]}`...)
	b = e.appendFinish(b, "")
	e.buf = b
	return b
}

// CustomToolCall carries custom tool call index whole: its id, name and
// input, in the delta form OpenAI streams one in
// ({"type":"custom","custom":{"name":…,"input":…}}).
func (e *ChunkEncoder) CustomToolCall(index int, id, name, input string) []byte {
	b := append(e.buf[:0], e.prefix...)
	b = append(b, `{"index":0,"delta":{"tool_calls":[{"index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"id":`...)
	b = jsonw.String(b, id)
	b = append(b, `,"type":"custom","custom":{"name":`...)
	b = jsonw.String(b, name)
	b = append(b, `,"input":`...)
	b = jsonw.String(b, input)
	b = append(b, `}}]}`...)
	b = e.appendFinish(b, "")
	e.buf = b
	return b
}

// ToolCallArguments carries (a fragment of) tool call index's arguments.
func (e *ChunkEncoder) ToolCallArguments(index int, args string) []byte {
	b := append(e.buf[:0], e.prefix...)
	b = append(b, `{"index":0,"delta":{"tool_calls":[{"index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"function":{"arguments":`...)
	b = jsonw.String(b, args)
	b = append(b, `}}]}`...)
	b = e.appendFinish(b, "")
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
		b = jsonw.String(b, name)
		b = append(b, ',')
	}
	b = append(b, `"arguments":`...)
	b = jsonw.String(b, args)
	b = append(b, `}}`...)
	b = e.appendFinish(b, "")
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
	b = u.appendDetails(b)
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
		b = jsonw.String(b, str)
		b = append(b, '}')
	}
	b = e.appendFinish(b, finish)
	e.buf = b
	return b
}

func (e *ChunkEncoder) text(s, finish string) []byte {
	b := append(e.buf[:0], e.prefix...)
	b = append(b, `{"text":`...)
	b = jsonw.String(b, s)
	b = append(b, `,"index":0,"logprobs":null`...)
	b = e.appendFinish(b, finish)
	e.buf = b
	return b
}

func (e *ChunkEncoder) appendFinish(b []byte, finish string) []byte {
	b = append(b, `,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = jsonw.String(b, finish)
	}
	b = append(b, "}]"...)
	b = append(b, e.end...)
	return append(b, "\n\n"...)
}

// Done is the stream terminator.
var Done = []byte("data: [DONE]\n\n")

// ErrorEvent is the event sent when a started stream fails: the error
// envelope as one data event. A stream has no status to say whether the
// failure is worth another try, so a Qwen failure the same call escapes
// by being sent again (a 5xx upstream_error, not Final: Qwen's answer cut
// off, silent, failing) is typed server_error, as OpenAI types its own
// failures mid-stream: clients read the event's text to retry it.
// OpenCode 1.18.33 (the AI SDK's OpenAI-compatible provider) retries an
// event that names server_error, a rate limit or an unavailable service,
// and ended its run on upstream_error, which it retried as a 502 before
// the stream opened. (Kilo 7.7.7 retries no error event once the answer
// began, whatever its type.) Its code stays, saying which failure it was.
func ErrorEvent(err *Error) []byte {
	if err.Type == TypeUpstream && err.Status >= 500 && !err.Final {
		e := *err
		e.Type = TypeServer
		err = &e
	}
	body, _ := err.MarshalJSON() // only strings: cannot fail
	b := make([]byte, 0, len(body)+8)
	b = append(b, "data: "...)
	b = append(b, body...)
	return append(b, "\n\n"...)
}
