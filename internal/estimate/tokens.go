// Package estimate estimates a request's input tokens without a tokenizer
// (Qwen offers none to call), for the token-counting routes of the client
// APIs (Anthropic's count_tokens, the Responses API's input_tokens).
package estimate

import (
	"unicode/utf8"

	qp "qwenproxy"
)

// Tool is what a declared tool adds to the prompt.
type Tool struct {
	Name, Description, Schema string
}

// Tokens estimates a conversation's and its tools' tokens: about four
// characters of ASCII text per token, one per other character (CJK text is
// close to that), and a few tokens of framing per message and tool. It
// counts every message's text (the system prompt among them), tool calls
// and results, its images (imageTokens), and the tools' names,
// descriptions and schemas. An estimate, within tens of percent of a real
// tokenizer's count for English prose and code.
func Tokens(conversation []qp.Message, tools []Tool) int {
	const perMessage, perTool = 4, 8
	n := 0
	for _, m := range conversation {
		n += perMessage + textTokens(m.Text)
		for _, img := range m.Images {
			n += imageTokens(img.URL)
		}
		for _, c := range m.ToolCalls {
			n += perMessage + textTokens(c.Name) + textTokens(c.Arguments)
		}
	}
	for _, t := range tools {
		n += perTool + textTokens(t.Name) + textTokens(t.Description) + textTokens(t.Schema)
	}
	return n
}

func textTokens(s string) int {
	ascii, other := 0, 0
	for _, r := range s {
		if r < utf8.RuneSelf {
			ascii++
		} else {
			other++
		}
	}
	return (ascii+3)/4 + other
}
