package qwen

import (
	"fmt"
	"strings"
	"testing"
)

// interleaved is a 2026 stream with two candidate answers (frames as in
// qwen-2026.md §3.1): both response.created first, then the deltas of both,
// interleaved, the second candidate's first. extra adds a key to every
// delta, which sends it through the general decoder instead of the fast one.
func interleaved(extra string) string {
	var b strings.Builder
	b.WriteString(`data: {"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r0", "response_index": "0"}} ` + "\n\n")
	b.WriteString(`data: {"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r1", "response_index": "1"}} ` + "\n\n")
	delta := func(id, text, status string, out int) {
		fmt.Fprintf(&b, `data: {"choices": [{"delta": {"role": "assistant", "content": %q, "phase": "answer", "status": %q%s}}], "usage": {"input_tokens": 5, "output_tokens": %d, "total_tokens": %d}, "response_id": %q, "timestamp": 1}`+"\n\n",
			text, status, extra, out, 5+out, id)
	}
	delta("r1", "Пар", "typing", 10)
	delta("r0", "Пар", "typing", 20)
	delta("r1", "иж", "typing", 11)
	delta("r0", "иж!", "typing", 21)
	delta("r0", "", "finished", 21)
	delta("r1", "", "finished", 11)
	return b.String()
}

func TestOneOfInterleavedCandidatesIsKept(t *testing.T) {
	for name, extra := range map[string]string{"fast decoder": "", "general decoder": `, "extra": {}`} {
		t.Run(name, func(t *testing.T) {
			evs, err := readAll(t, testStream(t, interleaved(extra)))
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			var last Created
			var usage Usage
			finished := 0
			for _, ev := range evs {
				switch ev.Kind {
				case EventCreated:
					last = ev.Created
				case EventDelta:
					text.WriteString(ev.Content)
					if ev.HasUsage {
						usage = ev.Usage
					}
					if ev.Finished {
						finished++
					}
					if ev.ResponseID != "r1" {
						t.Fatalf("event of candidate %q passed", ev.ResponseID)
					}
				}
			}
			// The second candidate spoke first: its answer, its ids (the
			// next turn threads onto them), its usage, its one end.
			if text.String() != "Париж" || last.ResponseID != "r1" || last.ResponseIndex != "1" || usage.OutputTokens != 11 || finished != 1 {
				t.Fatalf("text %q created %+v usage %+v finished %d", text.String(), last, usage, finished)
			}
		})
	}
}

func TestASingleCandidateStreamIsUntouched(t *testing.T) {
	body := `data: {"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r0", "response_index": "0"}} ` + "\n\n" +
		`data: {"choices": [{"delta": {"content": "a", "phase": "answer", "status": "typing"}}], "response_id": "r0"}` + "\n\n" +
		`data: {"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r0", "response_index": "0"}} ` + "\n\n" +
		`data: {"choices": [{"delta": {"content": "", "phase": "answer", "status": "finished"}}], "response_id": "r0"}` + "\n\n"
	evs, err := readAll(t, testStream(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Kind != EventCreated || evs[1].Content != "a" || !evs[2].Finished {
		t.Fatalf("events %+v", evs)
	}
}

func TestReasoningContentDeltasAreThinking(t *testing.T) {
	body := `data: {"choices": [{"delta": {"reasoning_content": "hmm", "content": ""}}]}` + "\n\n" +
		`data: {"choices": [{"delta": {"content": "yes"}}]}` + "\n\n"
	evs, err := readAll(t, testStream(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Phase != PhaseThink || evs[0].Content != "hmm" || evs[1].Phase != PhaseAnswer {
		t.Fatalf("events %+v", evs)
	}
}

func TestClientRefusedIsTheInternalErrorBadRequest(t *testing.T) {
	if e := classifyCode("Bad_Request", "Internal error...", 0, ""); !e.ClientRefused() || e.Retryable() {
		t.Fatalf("%+v", e)
	}
	if e := classifyCode("Bad_Request", "The chat is in progress!", 0, ""); e.ClientRefused() {
		t.Fatalf("%+v", e)
	}
}

// A delta may carry both fields (qwen-2026.md §3.2: content without a
// phase is the answer, reasoning_content the thinking): the content is its
// phase's (the answer's when none is given), not more thinking, and the
// reasoning is told before it — beside an answer phase too, where it was
// dropped.
func TestADeltaWithBothFieldsSplits(t *testing.T) {
	for name, phase := range map[string]string{"phase-less": "", "answer phase": `"phase": "answer", `} {
		t.Run(name, func(t *testing.T) {
			body := `data: {"choices": [{"delta": {"reasoning_content": "so Paris.", "content": "Paris", ` + phase + `"status": "typing"}}], "response_id": "r"}` + "\n\n" +
				`data: {"choices": [{"delta": {"reasoning_content": " Sure.", "content": "", ` + phase + `"status": "typing"}}], "response_id": "r"}` + "\n\n" +
				`data: {"choices": [{"delta": {"content": "!", "status": "finished"}}], "response_id": "r"}` + "\n\n"
			evs, err := readAll(t, testStream(t, body))
			if err != nil {
				t.Fatal(err)
			}
			var think, answer strings.Builder
			for _, ev := range evs {
				switch ev.Phase {
				case PhaseThink:
					think.WriteString(ev.Content)
				case PhaseAnswer:
					answer.WriteString(ev.Content)
				}
			}
			if think.String() != "so Paris. Sure." || answer.String() != "Paris!" || !evs[len(evs)-1].Finished {
				t.Fatalf("thinking %q answer %q events %+v", think.String(), answer.String(), evs)
			}
		})
	}
}

// An error event tagged with a candidate the stream does not follow is that
// candidate's failure (qwen-2026.md §3.1: every event of a candidate carries
// its response_id, and the others' are dropped): the answer kept goes on.
// One of the kept candidate, or of none, still fails the answer.
func TestAnErrorOfACandidateNotKeptIsDropped(t *testing.T) {
	created := `data: {"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r0", "response_index": "0"}}` + "\n\n" +
		`data: {"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r1", "response_index": "1"}}` + "\n\n"
	delta := func(id, text, status string) string {
		return fmt.Sprintf(`data: {"choices": [{"delta": {"content": %q, "phase": "answer", "status": %q}}], "response_id": %q}`+"\n\n", text, status, id)
	}
	failure := func(id string) string {
		return fmt.Sprintf(`data: {"error": {"code": "Internal_Server_Error", "details": "generation failed"}, "response_id": %q}`+"\n\n", id)
	}
	body := created + delta("r1", "Пар", "typing") + failure("r0") + delta("r1", "иж", "typing") + delta("r1", "", "finished")
	evs, err := readAll(t, testStream(t, body))
	if err != nil {
		t.Fatalf("the kept candidate failed with the other's error: %v", err)
	}
	var text strings.Builder
	for _, ev := range evs {
		text.WriteString(ev.Content)
	}
	if text.String() != "Париж" || !evs[len(evs)-1].Finished {
		t.Fatalf("text %q events %+v", text.String(), evs)
	}
	// Before any delta: the candidate that did not fail is kept, with its ids.
	for failed, kept := range map[string]string{"r0": "r1", "r1": "r0"} {
		evs, err := readAll(t, testStream(t, created+failure(failed)+delta(kept, "ok", "finished")))
		if err != nil {
			t.Fatalf("%s failed first: %v", failed, err)
		}
		last := Created{}
		for _, ev := range evs {
			if ev.Kind == EventCreated {
				last = ev.Created
			}
		}
		if last.ResponseID != kept || evs[len(evs)-1].Content != "ok" {
			t.Fatalf("%s failed first: events %+v", failed, evs)
		}
	}
	for name, body := range map[string]string{
		"kept":     created + delta("r1", "Пар", "typing") + failure("r1"),
		"only":     created[:strings.Index(created, "\n\n")+2] + failure("r0"),
		"untagged": created + delta("r1", "Пар", "typing") + failure(""),
	} {
		if _, err := readAll(t, testStream(t, body)); !isKind(err, KindServer) {
			t.Errorf("an error of the %s candidate: %v", name, err)
		}
	}
}
