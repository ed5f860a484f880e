package qwenproxy

// Message is one message of a client's conversation, in the form every
// client API (Chat Completions, Anthropic Messages, Responses) is translated
// into before the core sees it: sessions are keyed, and Qwen turns written,
// from these alone.
type Message struct {
	// Role is system, developer, user, assistant or tool (a tool's result).
	Role string
	// Text is the message's text: its text parts joined by newlines.
	Text string
	// PartBreaks are the offsets in Text of the newlines that join its
	// text parts (JoinTextParts), in order; nil when it came as one text.
	// Keyed as Text is, a history's last answer is also found as its parts
	// run together (see PartsRunTogether).
	PartBreaks []int
	// Images are a user message's or a tool result's images, in order.
	Images []Image
	// Documents are the files a user message or a tool result attaches for
	// the model to read (PDFs, plain text), in order.
	Documents []Document
	// ToolCalls are the assistant's function calls, in order.
	ToolCalls []ToolCall
	// ToolCallID names the call a tool message is the result of.
	ToolCallID string
	// ToolName is the called tool's name when the call is not among the
	// messages before this result (a Responses function_call_output under
	// previous_response_id, a result sent under X-Session-Id without its
	// call): the proxy reads it from the record of the answer that made the
	// call. "" otherwise.
	ToolName string
	// IsError marks a tool result that reports a failure (Anthropic's
	// is_error).
	IsError bool
	// Continued marks a system or developer message that comes after the
	// conversation's answers though none of them is among the messages: a
	// Responses turn's input continuing a previous_response_id, or a
	// conversation that has answered (its answers are in the Qwen chat).
	// As a system message after the first answer is, it is the system's
	// word in its turn, told with it, not part of the system prompt
	// (translate.SystemText).
	Continued bool
}

// Image is an image of a client's message.
type Image struct {
	// URL is a data: URL (base64) of the image, or the http(s) URL a client
	// named it by (fetched when ALLOW_IMAGE_URLS allows it).
	URL string
	// Param is where the client's request gave the image, in its API's
	// notation: Chat Completions' messages[1].content[0].image_url.url,
	// Anthropic's messages.1.content.0.source.data, the Responses API's
	// input[2].content[1].image_url. A 400 about the image names it. The
	// images of a history rebuilt from the record name the field that
	// stands for it (previous_response_id); "" names the request's field
	// of messages.
	Param string
}

// Document is a file attached for the model to read: a PDF or a
// plain-text file, which the proxy uploads to Qwen as the web client
// attaches documents.
type Document struct {
	// Name is the client's file name (OpenAI's filename, Anthropic's
	// title), "" when it gave none.
	Name string
	// URL is a data: URL (base64) of the document, or the http(s) URL a
	// client named it by (fetched when ALLOW_IMAGE_URLS allows it).
	URL string
	// Param is where the client's request gave the document, as an
	// Image's Param is.
	Param string
}

// ToolCall is one function call of the assistant.
type ToolCall struct {
	ID        string // call_… (Chat Completions, Responses) or toolu_… (Anthropic)
	Name      string
	Arguments string // a JSON object
	// Custom marks a call of an OpenAI custom (freeform) tool: its input
	// is Arguments' one string, {"input": …} (tools.CustomInput), and the
	// client APIs say it as a custom call.
	Custom bool
	// Incomplete marks a call the answer was cut inside (it reached the
	// client's limit of output tokens): Arguments are as far as they came
	// and may not parse; the client APIs say it is not complete (the
	// Responses API's item status "incomplete").
	Incomplete bool
}

// Finish reasons of an answer, in the core's vocabulary (Chat Completions'
// words); each client API says them in its own.
const (
	FinishStop      = "stop"
	FinishToolCalls = "tool_calls"
	// FinishLength: the answer reached the client's limit of output
	// tokens (max_tokens and its kin) and was cut there.
	FinishLength = "length"
)
