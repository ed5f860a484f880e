package anthropic

import "unicode/utf8"

// EstimateTokens estimates a request's input tokens without a tokenizer
// (Qwen offers none to call): about four characters of ASCII text per token,
// one per other character (CJK text is close to that), and a few tokens of
// framing per message and tool. It counts the system prompt, every message's
// text, tool calls and results, and the tools' names, descriptions and
// schemas. An estimate, within tens of percent of a real tokenizer's count
// for English prose and code.
func EstimateTokens(r *Request) int {
	const perMessage, perTool = 4, 8
	n := 0
	for _, m := range r.Conversation() {
		n += perMessage + textTokens(m.Text)
		for _, c := range m.ToolCalls {
			n += perMessage + textTokens(c.Name) + textTokens(c.Arguments)
		}
	}
	for _, t := range r.Tools {
		n += perTool + textTokens(t.Name) + textTokens(t.Description) + textTokens(string(t.InputSchema))
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
