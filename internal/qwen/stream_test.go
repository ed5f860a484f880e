package qwen

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testStream wraps a body as a Stream with a generous idle timeout.
func testStream(t *testing.T, body string) *Stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := newStream(ctx, cancel, io.NopCloser(strings.NewReader(body)), newWatchdog(time.Hour, cancel), nil)
	t.Cleanup(func() { s.Close() })
	return s
}

func readAll(t *testing.T, s *Stream) ([]Event, error) {
	t.Helper()
	var evs []Event
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			return evs, nil
		}
		if err != nil {
			return evs, err
		}
		evs = append(evs, *ev)
	}
}

func TestParseRecordedStream(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	// The expected text, decoded independently of the parser.
	var want strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, `data: {"choices"`) {
			continue
		}
		var ev struct {
			Choices []struct{ Delta struct{ Content string } }
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil {
			t.Fatal(err)
		}
		want.WriteString(ev.Choices[0].Delta.Content)
	}

	evs, err := readAll(t, testStream(t, string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 823 {
		t.Fatalf("%d events, want 823", len(evs))
	}
	c := evs[0].Created
	if evs[0].Kind != EventCreated || c.ChatID != "0cac4f88-3ce7-4b19-8ebb-632ca66c512c" ||
		c.ParentID != "f2a0176c-e4cd-4550-b476-f9fa5daa7a32" || c.ResponseID != "e34734e7-0999-4d8f-a900-81d1a3db9ae4" {
		t.Fatalf("created = %+v", evs[0])
	}
	var got strings.Builder
	var last Usage
	for _, ev := range evs[1:] {
		if ev.Kind != EventDelta || ev.Phase != PhaseAnswer {
			t.Fatalf("event %+v", ev)
		}
		got.WriteString(ev.Content)
		if ev.HasUsage {
			last = ev.Usage
		}
	}
	if got.String() != want.String() || !strings.HasPrefix(got.String(), "Greetings, Cosmic Traveler! 🌌") {
		t.Fatalf("text differs: %d vs %d bytes", got.Len(), want.Len())
	}
	if !evs[len(evs)-1].Finished || last != (Usage{InputTokens: 33, OutputTokens: 838, TotalTokens: 871}) {
		t.Fatalf("finished %v usage %+v", evs[len(evs)-1].Finished, last)
	}
}

func TestStreamEventVariants(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	body := "" +
		": a comment line\n\n" +
		"event: message\ndata: {\"response.info\": {\"action\": \"keep_alive\"}}\n\n" +
		"data:{\"choices\":[{\"delta\":{\"content\":\"deep\",\"phase\":\"think\",\"status\":\"typing\"}}]}\r\n\r\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"\",\"phase\":\"thinking_summary\",\"status\":\"typing\",\"extra\":{\"summary_thought\":{\"content\":[\"a\"]}}}}]}\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"\",\"phase\":\"thinking_summary\",\"status\":\"typing\",\"extra\":{\"summary_thought\":{\"content\":[\"a\",\"b\"]}}}}]}\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"" + long + "\"}}]}\n\n" +
		"data: [DONE]\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"\",\"status\":\"finished\",\"phase\":\"answer\"}}]}"
	evs, err := readAll(t, testStream(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 6 {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	if evs[0].Kind != EventKeepAlive || evs[1].Phase != PhaseThink || evs[1].Content != "deep" ||
		evs[2].Content != "a" || evs[3].Content != "\n\nb" || evs[4].Phase != PhaseAnswer || evs[4].Content != long || !evs[5].Finished {
		t.Fatalf("events %+v", evs[:4])
	}
}

func TestStreamErrorsInBand(t *testing.T) {
	cases := map[string]Kind{
		`data: {"success":false,"data":{"code":"RateLimited","num":2,"details":"quota exceeded"}}`:           KindRateLimited,
		`data: {"error": {"code": "Too_Many_Requests", "details": "please slow down"}, "response_id": "r1"}`: KindRateLimited,
		`data: {"error": {"code": "ContextLengthExceeded", "details": "too long"}}`:                          KindTooLong,
		`data: {"error": {"code": "unauthorized", "details": "expired"}}`:                                    KindAuth,
		`data: {not json`: KindBadResponse,
		// A failure event bearing the firewall's markers is the
		// firewall's, as the same envelope as a whole body is
		// (qwen-2026.md §1.3: a mid-chat captcha).
		`data: {"success":false,"data":{"code":"Bad_Request","details":"please pass the captcha"}}`: KindFirewall,
		`data: {"error": {"code": "Forbidden", "details": "x5sec verification required"}}`:          KindFirewall,
	}
	for body, kind := range cases {
		_, err := readAll(t, testStream(t, body+"\n\n"))
		qe, ok := AsError(err)
		if !ok || qe.Kind != kind {
			t.Errorf("%s: err %v, want kind %s", body, err, kind)
		}
	}
}

func TestStreamCutAndTimeout(t *testing.T) {
	// A body that breaks (not a clean EOF) is a cut.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	broken := io.NopCloser(io.MultiReader(strings.NewReader("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"), errReader{}))
	s := newStream(ctx, cancel, broken, newWatchdog(time.Hour, cancel), nil)
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); err == nil {
		t.Fatal("no error after a broken body")
	} else if qe, ok := AsError(err); !ok || qe.Kind != KindStreamCut {
		t.Fatalf("err = %v", err)
	}

	// A stalled body ends with a timeout once the idle watchdog fires,
	// saying how long upstream was silent: at least the idle time.
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx2, cancel2 := context.WithCancel(context.Background())
	watch := newWatchdog(time.Hour, func() { cancel2(); pw.CloseWithError(context.Canceled) })
	watch.stream(20 * time.Millisecond)
	s = newStream(ctx2, cancel2, pr, watch, nil)
	if _, err := s.Next(); err == nil {
		t.Fatal("stalled stream returned an event")
	} else if qe, ok := AsError(err); !ok || qe.Kind != KindTimeout {
		t.Fatalf("err = %v", err)
	} else if said, perr := time.ParseDuration(strings.TrimPrefix(qe.Message, "no data from Qwen for ")); perr != nil || said < 20*time.Millisecond {
		t.Fatalf("the timeout says %q: not a silence of the idle time or more", qe.Message)
	}
}

// testClock is a watchdog's clock that moves only when a test moves it.
type testClock struct{ t atomic.Int64 }

func (c *testClock) now() time.Duration   { return time.Duration(c.t.Load()) }
func (c *testClock) set(at time.Duration) { c.t.Store(int64(at)) }

// The watchdog gives the headers the call's Timeout, then cuts a silence
// of Qwen's when it reaches the idle time, measured from the last bytes
// Qwen sent, not later: a check that finds a shorter one is set again for
// its rest, and a stream whose bytes keep coming is never cut, however
// long it runs. The error says the silence measured. Its checks are called
// here directly on a test's clock (the timers are an hour away). Until
// 2026-12-06 a silence was cut between 1× and 1.25× of the idle time, the
// error saying 1×.
//
// A check that finds a nanosecond left sets the real timer for it, which
// fires on its own goroutine beside the test's calls (on the test's
// clock): the count is atomic, and a check after the cut does nothing —
// until 2026-12-07 it cancelled again, and a CI run counted two.
func TestWatchdogCutsASilenceWhenItReachesTheIdleTime(t *testing.T) {
	var cancels atomic.Int32
	w := newWatchdog(time.Hour, func() { cancels.Add(1) })
	w.fire() // the headers' wait ran out
	if canceled := cancels.Load(); canceled != 1 || !w.timedOut.Load() {
		t.Fatalf("headers late: canceled %d, timed out %v", canceled, w.timedOut.Load())
	}
	w.fire() // a check after the cut
	if canceled := cancels.Load(); canceled != 1 {
		t.Fatalf("a check after the cut canceled again: %d", canceled)
	}

	const idle = 60 * time.Second
	var clock testClock
	cancels.Store(0)
	w = startWatchdog(time.Hour, func() { cancels.Add(1) }, clock.now)
	defer w.stop()
	clock.set(2 * time.Second) // the headers
	w.stream(idle)
	if w.due != 2*time.Second+idle {
		t.Fatalf("first check due at %v, want %v", w.due, 2*time.Second+idle)
	}
	// An answer far longer than the idle time, its bytes coming as the
	// reader waits for them: each check comes the idle time after the
	// last bytes it finds.
	at := 2 * time.Second
	for range 50 {
		w.reading()
		at += idle / 3
		clock.set(at)
		w.read(100)
		w.beat()
		w.reading()
		at += idle / 2
		clock.set(at)
		w.fire()
		if cancels.Load() != 0 || w.timedOut.Load() {
			t.Fatalf("cut at %v, the last bytes %v before", at, idle/2)
		}
		if want := at - idle/2 + idle; w.due != want {
			t.Fatalf("next check due at %v, want %v (the idle time after the last bytes)", w.due, want)
		}
	}
	last := at - idle/2
	clock.set(last + idle - time.Nanosecond)
	w.fire()
	if cancels.Load() != 0 {
		t.Fatal("cut a nanosecond before the idle time")
	}
	clock.set(last + idle)
	w.fire()
	if canceled := cancels.Load(); canceled != 1 || !w.timedOut.Load() || w.silent() != idle {
		t.Fatalf("at the idle time: canceled %d, timed out %v, silence %v", canceled, w.timedOut.Load(), w.silent())
	}

	// A timer that fires late (a busy machine) cuts at once, and the
	// error tells the silence as it was.
	clock.set(0)
	w = startWatchdog(time.Hour, func() {}, clock.now)
	defer w.stop()
	w.stream(idle)
	w.reading()
	clock.set(idle + 1234*time.Millisecond + 567*time.Microsecond)
	w.fire()
	s := newStream(context.Background(), func() {}, io.NopCloser(strings.NewReader("")), w, nil)
	if err := s.readError(context.Canceled); err == nil || err.Error() != "qwen: timeout: no data from Qwen for 1m1.234s" {
		t.Fatalf("the cut's error: %v", err)
	}
}

// A reader that is not waiting for Qwen — handing what it read on to a
// slow client, the bytes long come — is not cut while it begins events;
// one that begins none for watchChecks checks (the idle time) is.
func TestWatchdogLeavesAReaderBusyElsewhereWhileItsEventsGoOn(t *testing.T) {
	const idle = 60 * time.Second
	var clock testClock
	canceled := 0
	w := startWatchdog(time.Hour, func() { canceled++ }, clock.now)
	defer w.stop()
	w.stream(idle)
	w.reading()
	w.read(64 << 10) // a buffer of events, then none read from Qwen
	at := time.Duration(0)
	for range 20 {
		at += idle / watchChecks
		clock.set(at)
		w.beat()
		w.fire()
	}
	if canceled != 0 {
		t.Fatalf("cut a reader beginning events, %v after the last bytes", at)
	}
	for i := range watchChecks {
		at += idle / watchChecks
		clock.set(at)
		w.fire()
		if cut := canceled == 1; cut != (i == watchChecks-1) {
			t.Fatalf("after %d checks without an event: cut %v", i+1, cut)
		}
	}
	if w.silent() != at {
		t.Fatalf("silence %v, want %v since the last bytes", w.silent(), at)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func TestTokenExpiry(t *testing.T) {
	jwt := "h." + "eyJpZCI6InUiLCJleHAiOjE3NjIwOTUyMjl9" + ".s" // {"id":"u","exp":1762095229}
	got, ok := TokenExpiry("acw_tc=1; token=" + jwt + "; x=y")
	if !ok || got.Unix() != 1762095229 {
		t.Fatalf("expiry %v %v", got, ok)
	}
	for _, cookies := range []string{"", "acw_tc=1", "token=notajwt", "token=a.!!!.c"} {
		if _, ok := TokenExpiry(cookies); ok {
			t.Errorf("%q: expiry found", cookies)
		}
	}
}

// peek reads an event without taking it: Next gives it, then the rest in
// order, and the whole stream reads as it does without the peek.
func TestPeekLeavesTheEventForNext(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	want, err := readAll(t, testStream(t, string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	s := testStream(t, string(raw))
	peeked, err := s.peek()
	if err != nil || peeked.Kind != EventCreated {
		t.Fatalf("peek = %+v, %v; want the created event", peeked, err)
	}
	first := *peeked // the stream's until the next Next
	got, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || got[0].Created != first.Created || got[1].Content != want[1].Content || got[len(got)-1].Kind != want[len(want)-1].Kind {
		t.Fatalf("after peek: %d events, first %+v; want %d, first %+v", len(got), got[0], len(want), want[0])
	}
	if _, err := testStream(t, "").peek(); !errors.Is(err, io.EOF) {
		t.Errorf("peek of an empty stream: %v, want io.EOF", err)
	}
}
