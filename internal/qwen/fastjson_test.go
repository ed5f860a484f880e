package qwen

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// slowDecode is the general decoder's reading of a delta event.
func slowDecode(t testing.TB, data string) Event {
	var raw rawEvent
	if err := json.Unmarshal([]byte(data), &raw); err != nil {
		t.Fatal(err)
	}
	d := raw.Choices[0].Delta
	ev := Event{Kind: EventDelta, Phase: d.Phase, Content: d.Content, Finished: d.Status == "finished", ResponseID: raw.ResponseID}
	if ev.Phase == "" {
		ev.Phase = PhaseAnswer
	}
	if raw.Usage != nil {
		ev.HasUsage, ev.Usage = true, *raw.Usage
	}
	return ev
}

func TestFastDecoderAgreesWithEncodingJSON(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	events := []string{
		`{"choices":[{"delta":{"content":"a\"b\\c\n\u00e9\ud83c\udf0c\/","phase":"think","status":"typing"}}],"usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3,"input_tokens_details":{"text_tokens":1},"prompt_tokens_details":{"cached_tokens":0}},"response_id":"r","timestamp":5}`,
		`{"choices": [{"delta": {"content": "", "role": "assistant", "status": "finished", "phase": "answer"}}], "response_id": "x"}`,
		`{"choices":[{"delta":{"content":"x"}},{"delta":{"content":"ignored"}}]}`,
		// Repeated keys: the last counts, an empty phase too (the fast
		// path kept "think" before).
		`{"choices":[{"delta":{"phase":"think","content":"a","phase":""}}]}`,
		`{"choices":[{"delta":{"phase":"think"}}],"choices":[{"delta":{"content":"x"}}],"usage":{"input_tokens":1},"usage":{"output_tokens":2}}`,
		// A surrogate without its pair: the escape after it is its own
		// character (the fast path swallowed the A).
		`{"choices":[{"delta":{"content":"\ud800\u0041\udc00\ud83d\ude00"}}]}`,
		// 2026's reasoning tokens, beside the 2025 text_tokens; a repeated
		// details object keeps the first's count where the second has none.
		`{"choices":[{"delta":{"content":"a","phase":"think"}}],"usage":{"output_tokens":5,"output_tokens_details":{"text_tokens":5,"reasoning_tokens":4}}}`,
		`{"choices":[{"delta":{"content":"a"}}],"usage":{"output_tokens_details":{"reasoning_tokens":4},"output_tokens_details":{"text_tokens":1}}}`,
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if d, ok := strings.CutPrefix(line, "data: "); ok && strings.HasPrefix(d, `{"choices"`) {
			events = append(events, d)
		}
	}
	last := "" // as the stream does: each event gets the one before's response id
	// As the stream does: every content kept in one builder. The contents
	// given out must stay as they were while it grows.
	var contents strings.Builder
	var decoded []Event
	for _, data := range events {
		fast, ok := decodeDelta([]byte(data), last, nil, &contents)
		last = fast.ResponseID
		if !ok {
			t.Fatalf("fast path refused %s", data)
		}
		if slow := slowDecode(t, data); !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s:\nfast %+v\nslow %+v", data, fast, slow)
		}
		if plain, _ := decodeDelta([]byte(data), "", nil, nil); plain.Content != fast.Content {
			t.Fatalf("%s: content %q kept, %q alone", data, fast.Content, plain.Content)
		}
		decoded = append(decoded, fast)
	}
	for i, data := range events {
		if slow := slowDecode(t, data); decoded[i].Content != slow.Content {
			t.Fatalf("%s: content %q once the rest was read, %q", data, decoded[i].Content, slow.Content)
		}
	}
}

func TestFastDecoderLeavesOtherShapesAlone(t *testing.T) {
	for _, data := range []string{
		`{"choices":[{"delta":{"content":"a"}}],"usage":{"output_tokens_details":null}}`,
		`{"choices":[{"delta":{"content":"a"}}],"usage":{"output_tokens_details":{"Reasoning_Tokens":4}}}`,
		`{"choices":[{"delta":{"content":"a"}}],"usage":{"Output_Tokens_Details":{"reasoning_tokens":4}}}`,
		`{"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r"}}`,
		`{"success":false,"data":{"code":"RateLimited"}}`,
		`{"error": {"code": "x"}, "response_id": "r1"}`,
		`{"choices":[{"delta":{"content":"","phase":"thinking_summary","extra":{"summary_thought":{"content":["a"]}}}}]}`,
		`{"choices":[]}`,
		`{"choices":[{"delta":{"content":"unterminated}}]}`,
		`{"choices":[{"delta":{"content":"x"}}]} trailing`,
		`{"choices":[{"delta":{"content":"bad \q escape"}}]}`,
		// Keys encoding/json would take for known ones, in other cases,
		// including a longer one: Kelvin sign K folds to k.
		`{"choices":[{"delta":{"content":"x"}}],"usage":{"INPUT_TOKENS":1}}`,
		"{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":{\"input_to\u212aens\":1}}",
		// An escaped key that unescapes to a known one (the fast path
		// took it for an unknown key before).
		`{"choices":[{"delta":{"content":"x"}}],"usage":{"input\u005ftokens":1}}`,
	} {
		if ev, ok := decodeDelta([]byte(data), "r1", nil, nil); ok {
			t.Errorf("fast path took %s as %+v", data, ev)
		}
	}
}

func FuzzFastDecoder(f *testing.F) {
	f.Add(`{"choices":[{"delta":{"content":"hi","phase":"answer","status":"typing"}}],"usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3}}`, "")
	f.Add(`{"choices":[{"delta":{"content":"\u00e9\n"}}]}`, "")
	f.Add(`{"choices":[{"delta":{"content":"a"}}],"response_id":"r1"}`, "r1")
	f.Add(`{"choices":[{"delta":{"content":"a"}}],"response_id":"r\\1"}`, `r\\1`)
	f.Add(`{"choices":[{"delta":{"phase":"think","phase":"answer"}}],"usage":{"characters":1,"input_tokens":2},"usage":{"total_tokens":3}}`, "")
	f.Add(`{"choices":[{"delta":{"content":"a"}}],"usage":{"cached_tokens":4,"prompt_tokens_details":{"cached_tokens":5,"x":1}}}`, "")
	f.Add(`{"choices":[{"delta":{"content":"a"}}],"usage":{"Cached_Tokens":4,"prompt_tokens_details":{"CACHED_TOKENS":5}}}`, "")
	f.Fuzz(func(t *testing.T, data, lastResponseID string) {
		var sh shape
		fast, ok := decodeDelta([]byte(data), lastResponseID, &sh, nil)
		if !ok {
			if sh.valid {
				t.Fatalf("%q refused, and learnt as a shape", data)
			}
			return
		}
		if !sh.valid {
			t.Fatalf("%q read, and not learnt", data)
		}
		// The event learnt matches its own shape, to the same decoding.
		if again, ok := sh.match([]byte(data), lastResponseID, nil); !ok || !reflect.DeepEqual(again, fast) {
			t.Fatalf("%q: its shape reads %+v (%v), the scanner %+v", data, again, ok, fast)
		}
		// And to the same content kept in a builder, as a stream keeps it.
		var contents strings.Builder
		contents.WriteString("before")
		if kept, ok := sh.match([]byte(data), lastResponseID, &contents); !ok || !reflect.DeepEqual(kept, fast) {
			t.Fatalf("%q: kept in a builder, its shape reads %+v (%v), the scanner %+v", data, kept, ok, fast)
		}
		// Whatever the fast path accepts, encoding/json must read the same.
		var raw rawEvent
		if err := json.Unmarshal([]byte(data), &raw); err != nil || len(raw.Choices) == 0 {
			t.Fatalf("fast path accepted %q, encoding/json did not (%v)", data, err)
		}
		if slow := slowDecode(t, data); !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %+v slow %+v", data, fast, slow)
		}
	})
}

// TestShapeAgreesWithEncodingJSON decodes the recorded answer, in its 2025
// and 2026 forms, the way the stream does: through the last shape first,
// the scanner (learning) when it does not match.
func TestShapeAgreesWithEncodingJSON(t *testing.T) {
	v2025, v2026 := recordedEvents(t)
	// Qwen's timestamps are seconds: every fiftieth event here, a number
	// the shape has left in its literal changes.
	var ticking [][]byte
	for i, data := range v2026 {
		stamp := strconv.Itoa(1764510000 + i/50)
		ticking = append(ticking, bytes.Replace(data, []byte("1764510000"), []byte(stamp), 1))
	}
	for _, c := range []struct {
		name    string
		events  [][]byte
		relearn int // the events whose shape changed besides
	}{{"2025", v2025, 0}, {"2026", v2026, 0}, {"2026 ticking", ticking, len(v2026) / 50}} {
		var sh shape
		last, deltas, matched := "", 0, 0
		for _, data := range c.events {
			ev, ok := sh.match(data, last, nil)
			if ok {
				matched++
			} else if ev, ok = decodeDelta(data, last, &sh, nil); !ok {
				continue // response.created
			}
			deltas++
			last = ev.ResponseID
			if slow := slowDecode(t, string(data)); !reflect.DeepEqual(ev, slow) {
				t.Fatalf("%s %s:\nshape %+v\nslow  %+v", c.name, data, ev, slow)
			}
		}
		// Only the first delta, the finished one (keys in another order,
		// no usage) and those where a number left in the literal changed
		// need the scanner.
		if deltas < 800 || matched != deltas-2-c.relearn {
			t.Errorf("%s: %d of %d deltas read through the shape, want all but %d", c.name, matched, deltas, 2+c.relearn)
		}
	}
}

// FuzzShape learns an event's shape and matches it against the event with
// a piece replaced: whatever the shape reads, the scanner and encoding/json
// must read alike.
func FuzzShape(f *testing.F) {
	_, v2026 := recordedEvents(f)
	typing := string(v2026[2])
	content := strings.Index(typing, `"content": "`) + len(`"content": "`)
	output := strings.Index(typing, `"output_tokens": `) + len(`"output_tokens": `)
	stamp := strings.Index(typing, `"timestamp": `) + len(`"timestamp": `)
	id := strings.Index(typing, `"response_id": "`) + len(`"response_id": "`)
	for _, seed := range []struct {
		at, cut int
		insert  string
	}{
		{content, 0, "more "}, {content, 0, `\"\u00e9\ud83c\udf0c\n`}, {content, 0, "\xff"}, {content, 0, `", "x": "`},
		{content, 1, ""}, {content, 0, "\u2028"}, {output, 1, "12345"}, {output, 1, "1.5"}, {output, 1, "1e3"},
		{output, 1, "-0"}, {output, 1, "0123"}, {output, 1, "99999999999999999999"}, {stamp, 3, "1.5e+7"},
		{stamp, 1, "-"}, {id, 1, "x"}, {id, 0, `\u0065`}, {id, 36, ""}, {0, 1, " {"}, {len(typing), 0, " "},
	} {
		f.Add(typing, seed.at, seed.cut, seed.insert)
	}
	f.Add(string(v2026[len(v2026)-1]), 20, 0, "x")
	f.Add(`{"choices":[{"delta":{"content":"a"}},{"delta":{"content":"b","n":[1,2.5,{"x":-3}]}}],"usage":{"input_tokens":1,"input_tokens":2}}`, 34, 1, "9")
	f.Fuzz(func(t *testing.T, data string, at, cut int, insert string) {
		var sh shape
		learnt, ok := decodeDelta([]byte(data), "", &sh, nil)
		if !ok {
			return
		}
		at = min(max(at, 0), len(data))
		cut = min(max(cut, 0), len(data)-at)
		next := data[:at] + insert + data[at+cut:]
		ev, ok := sh.match([]byte(next), learnt.ResponseID, nil)
		if !ok {
			return
		}
		scanned, ok := decodeDelta([]byte(next), learnt.ResponseID, nil, nil)
		if !ok || !reflect.DeepEqual(ev, scanned) {
			t.Fatalf("%q, shaped as %q:\nshape   %+v\nscanner %+v (%v)", next, data, ev, scanned, ok)
		}
		var raw rawEvent
		if err := json.Unmarshal([]byte(next), &raw); err != nil || len(raw.Choices) == 0 {
			t.Fatalf("shape accepted %q, encoding/json did not (%v)", next, err)
		}
		if slow := slowDecode(t, next); !reflect.DeepEqual(ev, slow) {
			t.Fatalf("%q: shape %+v slow %+v", next, ev, slow)
		}
		// The match tightened the shape around next: next matches it still.
		if again, ok := sh.match([]byte(next), learnt.ResponseID, nil); !ok || !reflect.DeepEqual(again, ev) {
			t.Fatalf("%q: the tightened shape reads %+v (%v), the shape before %+v", next, again, ok, ev)
		}
	})
}

func TestFastCreated(t *testing.T) {
	v2025, v2026 := recordedEvents(t)
	for _, data := range [][]byte{v2025[0], v2026[0]} {
		c, ok := decodeCreated(data)
		var raw rawEvent
		if err := json.Unmarshal(data, &raw); err != nil || raw.Created == nil {
			t.Fatal(err)
		}
		if !ok || c != *raw.Created {
			t.Errorf("%s: fast %+v (%v), encoding/json %+v", data, c, ok, *raw.Created)
		}
	}
	for _, data := range []string{
		`{"response.created":null}`,
		`{"response.created":{"chat_id":null}}`,
		`{"response.created":{"Chat_ID":"c"}}`,
		`{"Response.Created":{"chat_id":"c"}}`,
		`{"response.created":{"chat_id":"c"},"success":false}`,
		`{"response.created":{"chat_id":"c"}} x`,
		`{}`,
	} {
		if c, ok := decodeCreated([]byte(data)); ok {
			t.Errorf("fast path took %s as %+v", data, c)
		}
	}
}

func FuzzFastCreated(f *testing.F) {
	f.Add(`{"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r", "response_index": "0"}} `)
	f.Add(`{"response.created":{"chat_id":"c\u00e9\n"},"response.created":{"parent_id":"p"}}`)
	f.Add(`{"response.created":{}}`)
	f.Fuzz(func(t *testing.T, data string) {
		c, ok := decodeCreated([]byte(data))
		if !ok {
			return
		}
		var raw rawEvent
		if err := json.Unmarshal([]byte(data), &raw); err != nil || raw.Created == nil || raw.envelope.failure(0) != nil {
			t.Fatalf("fast path accepted %q, encoding/json did not (%v)", data, err)
		}
		if c != *raw.Created {
			t.Fatalf("%q: fast %+v, encoding/json %+v", data, c, *raw.Created)
		}
	})
}

// FuzzShapeSequence reads lines as a stream's events, through the shape
// the events before left and the scanner when it does not match: each
// event read must read as the scanner alone and encoding/json read it.
// Its inputs are whole streams, long to minimise: fuzz it with
// -fuzzminimizetime 200x, or minimising takes most of a run.
func FuzzShapeSequence(f *testing.F) {
	_, v2026 := recordedEvents(f)
	lines := func(events ...[]byte) string { return string(bytes.Join(events, []byte("\n"))) }
	summary := []byte(`{"choices": [{"delta": {"role": "assistant", "content": "", "phase": "thinking_summary", "status": "typing", "extra": {"summary_thought": {"content": ["a"]}}}}], "response_id": "r"}`)
	f.Add(lines(v2026[1:6]...))
	f.Add(lines(v2026[1], summary, v2026[2], v2026[len(v2026)-1], v2026[3]))
	f.Add(lines(v2026[1], bytes.Replace(v2026[2], []byte(`"e3`), []byte(`"f3`), 1), v2026[3]))
	f.Add(lines(v2026[1], v2026[2], bytes.Replace(v2026[3], []byte("1764510000"), []byte("1764510001"), 1), v2026[4], v2026[5]))
	f.Add(lines(v2026[1], v2026[2], bytes.Replace(v2026[3], []byte(`"characters": 0`), []byte(`"characters": 1.5e3`), 1), v2026[4]))
	f.Add(lines(v2026[1], bytes.Replace(v2026[2], []byte(`"characters": 0`), []byte(`"characters": -0`), 1), v2026[3], v2026[4]))
	f.Fuzz(func(t *testing.T, stream string) {
		var sh shape
		last := ""
		for _, data := range strings.Split(stream, "\n") {
			ev, ok := sh.match([]byte(data), last, nil)
			if !ok {
				ev, ok = decodeDelta([]byte(data), last, &sh, nil)
			}
			if !ok {
				continue
			}
			if scanned, ok := decodeDelta([]byte(data), last, nil, nil); !ok || !reflect.DeepEqual(ev, scanned) {
				t.Fatalf("%q: read %+v, the scanner alone %+v (%v)", data, ev, scanned, ok)
			}
			last = ev.ResponseID
			var raw rawEvent
			if err := json.Unmarshal([]byte(data), &raw); err != nil || len(raw.Choices) == 0 {
				t.Fatalf("%q read, encoding/json did not (%v)", data, err)
			}
			if slow := slowDecode(t, data); !reflect.DeepEqual(ev, slow) {
				t.Fatalf("%q: read %+v, encoding/json %+v", data, ev, slow)
			}
		}
	})
}

// TestFastNewChat: the answers to chats/new that decodeNewChat reads
// without encoding/json, and the ones it leaves to the envelope.
func TestFastNewChat(t *testing.T) {
	recorded, err := os.ReadFile("../../testdata/qwen/chats-new.json")
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := decodeNewChat(recorded); !ok || id != "0bb333d4-3f20-434d-88c4-5768860e772d" {
		t.Fatalf("recorded answer: %q %v", id, ok)
	}
	for _, data := range []string{
		`{"success":false,"data":{"id":"c"}}`,
		`{"success":true,"data":{"id":""}}`,
		`{"success":true,"data":{"chat_id":"c"}}`,
		`{"success":true,"data":{"id":"c"},"error":{"code":"Bad_Request"}}`,
		`{"Success":true,"data":{"id":"c"}}`,
		`{"success":true,"data":{"id":"c"}} x`,
		`{"success":1,"data":{"id":"c"}}`,
		`{"data":{"id":"c"}}`,
	} {
		if id, ok := decodeNewChat([]byte(data)); ok {
			t.Errorf("fast path took %s as %q", data, id)
		}
	}
}

func FuzzFastNewChat(f *testing.F) {
	f.Add(`{"success":true,"request_id":"b99efb17-837d-403c-a439-4d91cddd0101","data":{"id":"0bb333d4-3f20-434d-88c4-5768860e772d"}}`)
	f.Add(`{"success":true,"data":{"id":"c\u00e9"},"data":{"id":"d"}}`)
	f.Add(`{ "success" : true , "data" : { "id" : "c" } }`)
	f.Fuzz(func(t *testing.T, data string) {
		id, ok := decodeNewChat([]byte(data))
		if !ok {
			return
		}
		var env envelope
		if err := decodeEnvelope([]byte(data), &env); err != nil || env.failure(0) != nil {
			t.Fatalf("fast path accepted %q, the envelope did not (%v)", data, err)
		}
		if want := cmp.Or(env.Data.ID, env.Data.ChatID, env.ID, env.ChatID); id != want {
			t.Fatalf("%q: fast %q, envelope %q", data, id, want)
		}
	})
}

// needsLook is plainInString for eight bytes at once: every byte value at
// every place among plain ones, and random words (many with several bytes
// that need a look, where the word test's borrows run).
func TestNeedsLookIsPlainInStringForEightBytes(t *testing.T) {
	plainWord := func(w uint64) bool {
		for i := range 8 {
			if !plainInString[byte(w>>(8*i))] {
				return false
			}
		}
		return true
	}
	for place := range 8 {
		for c := range 256 {
			w := uint64(0x6161616161616161)&^(0xff<<(8*place)) | uint64(c)<<(8*place)
			if needsLook(w) == plainWord(w) {
				t.Fatalf("byte %#x at %d: needsLook %v", c, place, needsLook(w))
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	special := []byte{'"', '\\', 0, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xff, 'a'}
	for range 200000 {
		var w uint64
		for i := range 8 {
			c := byte(rng.Uint32())
			if rng.IntN(2) == 0 {
				c = special[rng.IntN(len(special))]
			}
			w |= uint64(c) << (8 * i)
		}
		if needsLook(w) == plainWord(w) {
			t.Fatalf("%#016x: needsLook %v", w, needsLook(w))
		}
	}
}
