package qwensim

import (
	"cmp"
	"time"
)

// Format selects the wire generation: 2026 (the default: the request rules
// of rules.go, and the event additions response_index, response_id on every
// event, timestamps, prompt_tokens_details) or the 2025 recordings.
type Format int

const (
	Format2026 Format = iota
	Format2025
)

// encoder writes the events of one answer.
type encoder struct {
	format     Format
	responseID string
	index      string // response_index, "0" unless candidates interleave
	now        func() time.Time
	// phaseless leaves delta.phase out: 2026 Qwen tags deltas with their
	// phase only when the message asks for output_schema "phase"
	// (qwen-2026.md §2.2).
	phaseless bool
	// cumulative gives every typing delta the whole text of its phase so
	// far instead of the new piece: what a request with incremental_output
	// false gets. Every client sends it true (qwen-wire.md §4.1, S1
	// recorded; qwen-2026.md §2.2); false is the default of Alibaba's
	// streaming API the web API's parameter is named after (inferred: no
	// capture of a request without it), and a client that sent it would
	// show each answer repeated piece upon piece.
	cumulative bool
	sofar      map[string]string // by phase, with cumulative
}

// phase adds a delta's phase to o, unless the answer goes without.
func (e *encoder) phase(o *pyObj, phase string) *pyObj {
	if e.phaseless {
		return o
	}
	return o.str("phase", phase)
}

// created is the first event. Its JSON is hand-formatted upstream: no space
// after the outer key, none before "response_id", and a trailing space.
func (e *encoder) created(chatID, parentID string) []byte {
	b := []byte(`data: {"response.created":{"chat_id": `)
	b = appendPyString(b, chatID)
	b = append(b, `, "parent_id": `...)
	b = appendPyString(b, parentID)
	b = append(b, `, "response_id":`...)
	b = appendPyString(b, e.responseID)
	if e.format == Format2026 {
		b = append(b, `, "response_index": `...)
		b = appendPyString(b, cmp.Or(e.index, "0"))
	}
	return append(b, "}} \n\n"...)
}

// usage is Qwen's cumulative usage object; reasoning is the part of output
// spent thinking.
type usage struct{ input, output, reasoning int }

func (e *encoder) usageObj(u usage) *pyObj {
	o := newObj().num("input_tokens", u.input).num("output_tokens", u.output).num("characters", 0).
		num("total_tokens", u.input+u.output).
		obj("input_tokens_details", newObj().num("text_tokens", u.input)).
		obj("output_tokens_details", e.outputDetails(u))
	if e.format == Format2026 {
		return o.obj("prompt_tokens_details", newObj().num("cached_tokens", 0))
	}
	return o.num("cached_tokens", 0)
}

// outputDetails counts, in 2026, the output spent thinking as
// reasoning_tokens, once there is any (qwen-wire.md §4.2).
func (e *encoder) outputDetails(u usage) *pyObj {
	o := newObj().num("text_tokens", u.output)
	if e.format == Format2026 && u.reasoning > 0 {
		return o.num("reasoning_tokens", u.reasoning)
	}
	return o
}

// typing is one content delta with the usage so far.
func (e *encoder) typing(phase, content string, u usage) []byte {
	if e.cumulative {
		if e.sofar == nil {
			e.sofar = map[string]string{}
		}
		e.sofar[phase] += content
		content = e.sofar[phase]
	}
	delta := e.phase(newObj().str("role", "assistant").str("content", content), phase).str("status", "typing")
	return e.event(delta, &u, nil)
}

// reasoningContent is a phase-less delta carrying thinking as
// reasoning_content (qwen-2026.md §3.2).
func (e *encoder) reasoningContent(text string, u usage) []byte {
	delta := newObj().str("role", "assistant").str("content", "").str("reasoning_content", text).str("status", "typing")
	return e.event(delta, &u, nil)
}

// summary is a 2026 thinking_summary delta carrying the paragraphs so far.
func (e *encoder) summary(paragraphs []string, status string, u *usage) []byte {
	extra := newObj().obj("summary_title", newObj().raw("content", pyStrings([]string{"Thinking"}))).
		obj("summary_thought", newObj().raw("content", pyStrings(paragraphs)))
	delta := e.phase(newObj().str("role", "assistant").str("content", ""), "thinking_summary").str("status", status)
	return e.event(delta, u, extra)
}

// finished closes a phase. Upstream orders its keys differently from typing
// deltas and sends no usage with it.
func (e *encoder) finished(phase string) []byte {
	delta := e.phase(newObj().str("content", "").str("role", "assistant").str("status", "finished"), phase)
	return e.event(delta, nil, nil)
}

func (e *encoder) event(delta *pyObj, u *usage, extra *pyObj) []byte {
	if extra != nil {
		delta.obj("extra", extra)
	}
	o := newObj().raw("choices", pyList(newObj().obj("delta", delta).bytes()))
	if u != nil {
		o.obj("usage", e.usageObj(*u))
	}
	if e.format == Format2026 {
		o.str("response_id", e.responseID)
		if u != nil {
			o.num("timestamp", int(e.now().Unix()))
		}
	}
	return frame(o.bytes())
}

// keepAlive is the event Qwen sends during long work (image generation,
// long thinking; qwen-wire.md §4.2, 2026 additions):
// {"response.info": {"action": "keep_alive", "chat_id", "response_id",
// "timestamp"}}.
func (e *encoder) keepAlive(chatID string) []byte {
	info := newObj().str("action", "keep_alive").str("chat_id", chatID).str("response_id", e.responseID).
		num("timestamp", int(e.now().Unix()))
	return frame(newObj().obj("response.info", info).bytes())
}

func frame(payload []byte) []byte {
	b := make([]byte, 0, len(payload)+8)
	b = append(b, "data: "...)
	b = append(b, payload...)
	return append(b, "\n\n"...)
}
