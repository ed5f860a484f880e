package qwen

import (
	"strings"
	"testing"
)

// Qwen answers some turns in rounds: its own tools' results arrive as
// frames of role "function" — a web search's sources (delta.name
// "web_search", extra.web_search_info), or its refusal of a tool it does
// not have ("Tool X does not exists."), tagged with the answer's phase or
// none and status "finished" — before the assistant's real answer (two
// 2026 Qwen web proxies' stream parsers skip such frames for this reason).
// A function frame is neither answer text nor the answer's end; its
// sources are kept.
func TestFunctionFramesAreNotTheAnswer(t *testing.T) {
	body := `data: {"choices": [{"delta": {"role": "assistant", "content": "", "phase": "web_search", "status": "typing", "function_call": {"name": "web_search", "arguments": "{\"query\": \"oslo\"}"}, "function_id": "f1"}}], "response_id": "r"}` + "\n\n" +
		`data: {"choices": [{"delta": {"role": "function", "name": "web_search", "content": "", "phase": "web_search", "status": "finished", "function_id": "f1", "extra": {"web_search_info": [{"url": "https://example.com/a", "title": "A"}]}}}], "response_id": "r"}` + "\n\n" +
		`data: {"choices": [{"delta": {"role": "function", "name": "web_extractor", "content": "Tool web_extractor does not exists.", "phase": "answer", "status": "finished"}}], "response_id": "r"}` + "\n\n" +
		`data: {"choices": [{"delta": {"role": "function", "name": "web_extractor", "content": "Tool web_extractor does not exists.", "status": "finished"}}], "response_id": "r"}` + "\n\n" +
		`data: {"choices": [{"delta": {"role": "assistant", "content": "Oslo is", "phase": "answer", "status": "typing"}}], "response_id": "r"}` + "\n\n" +
		`data: {"choices": [{"delta": {"role": "assistant", "content": " busy.", "phase": "answer", "status": "typing"}}], "response_id": "r"}` + "\n\n" +
		`data: {"choices": [{"delta": {"content": "", "role": "assistant", "status": "finished", "phase": "answer"}}], "response_id": "r"}` + "\n\n"
	evs, err := readAll(t, testStream(t, body))
	if err != nil {
		t.Fatal(err)
	}
	var answer strings.Builder
	var sources []Source
	finished := 0
	for _, ev := range evs {
		sources = append(sources, ev.Sources...)
		if ev.Phase != PhaseAnswer {
			continue
		}
		answer.WriteString(ev.Content)
		if ev.Finished {
			finished++
		}
	}
	if answer.String() != "Oslo is busy." || finished != 1 || !evs[len(evs)-1].Finished {
		t.Fatalf("answer %q, %d finished answer events; events %+v", answer.String(), finished, evs)
	}
	if len(sources) != 1 || sources[0].URL != "https://example.com/a" {
		t.Fatalf("sources %+v", sources)
	}
}
