package bodies

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// join stores the parts of body in a map, as a store would, and joins them back.
func roundTrip(t testing.TB, c *Codec, body []byte) []byte {
	spans := Split(body)
	parts := map[int64][]byte{}
	ids := make([]int64, len(spans))
	for i, sp := range spans {
		ids[i] = int64(i + 1)
		parts[ids[i]] = c.Compress(body[sp.Start:sp.End])
	}
	blob := Pack(spans, ids, c.Compress(Literal(body, spans)))
	refs, lit, err := Unpack(blob)
	if err != nil {
		t.Fatal(err)
	}
	literal, err := c.Decompress(lit)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Join(refs, literal, func(id int64) ([]byte, error) { return c.Decompress(parts[id]) })
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	return got
}

func TestSplitFindsRepeatedParts(t *testing.T) {
	system := strings.Repeat("You are a coding agent. ", 20)
	tool := `{"type":"function","function":{"name":"read","description":"` + strings.Repeat("Reads a file. ", 12) + `"}}`
	body := []byte(`{"model":"m","messages":[{"role":"system","content":"` + system + `"},{"role":"user","content":"hi"}],` +
		`"tools":[` + tool + `,` + tool + `],"stream":true}`)
	var got []string
	for _, sp := range Split(body) {
		got = append(got, string(body[sp.Start:sp.End]))
	}
	want := []string{`{"role":"system","content":"` + system + `"}`, tool, tool}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parts:\n%q\nwant\n%q", got, want)
	}
	// Anthropic's system is a string field, not an array element.
	body = []byte(`{"system": "` + system + `", "messages": []}`)
	if sp := Split(body); len(sp) != 1 || string(body[sp[0].Start:sp[0].End]) != `"`+system+`"` {
		t.Errorf("string field parts: %v", sp)
	}
}

// A short message starts a run that ends with the element that brings it
// to MinPart; the run recurs, whole, in the next call that resends it. A
// run the array ends first stays in the literal.
func TestShortMessagesRunIntoTheNext(t *testing.T) {
	system := `{"role":"system","content":"` + strings.Repeat("You are a coding agent. ", 20) + `"}`
	result := `{"role":"tool","tool_call_id":"call_1","content":"` + strings.Repeat("package main\n", 20) + `"}`
	hi, ok, thanks := `{"role":"user","content":"hi"}`, `{"role":"assistant","content":"ok"}`, `{"role":"user","content":"thanks"}`
	parts := func(messages ...string) []string {
		body := []byte(`{"model":"m","messages":[` + strings.Join(messages, ", ") + `]}`)
		var got []string
		for _, sp := range Split(body) {
			got = append(got, string(body[sp.Start:sp.End]))
		}
		return got
	}
	got := parts(system, hi, ok, result, thanks)
	want := []string{system, hi + ", " + ok + ", " + result}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parts:\n%q\nwant\n%q", got, want)
	}
	if next := parts(system, hi, ok, result, thanks, result); len(next) != 3 || next[1] != want[1] || next[2] != thanks+", "+result {
		t.Errorf("the next call's parts:\n%q", next)
	}
}

func TestRoundTrip(t *testing.T) {
	c := NewCodec()
	big := strings.Repeat("é\\\"x ", 100)
	for _, body := range []string{
		``, `{}`, `[]`, `"` + big + `"`, `not json at all` + big,
		`{"a":[` + `"` + big + `", 1, {"k":"` + big + `"}, [ "` + big + `" ] ], "b" : "` + big + `"}`,
		" \n{\"a\": [\"" + big + "\"] }\n",
		`{"a":["` + big + `"`, // truncated: kept whole
		`data: {"x":1}` + "\n\n" + `data: [DONE]`,
	} {
		if got := roundTrip(t, c, []byte(body)); !bytes.Equal(got, []byte(body)) {
			t.Errorf("round trip of %q gave %q", body, got)
		}
	}
}

func TestCorruptSkeleton(t *testing.T) {
	for _, skel := range [][]byte{{}, {5}, {1, 200}, {1, 9, 1, 'a'}} {
		refs, literal, err := Unpack(skel)
		if err == nil {
			_, err = Join(refs, literal, func(int64) ([]byte, error) { return []byte("x"), nil })
		}
		if err == nil {
			t.Errorf("skeleton %v read", skel)
		}
	}
}

// FuzzStoreRead: whatever the body, storing it and reading it back gives it
// byte for byte, and parts never overlap.
func FuzzStoreRead(f *testing.F) {
	c := NewCodec()
	long := strings.Repeat("z", MinPart)
	for _, s := range []string{`{"messages":[{"role":"user","content":"` + long + `"}]}`, `["` + long + `",{"a":"` + long + `"}]`, `{"a":1}`, `x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		last := 0
		for _, sp := range Split(body) {
			if sp.Start < last || sp.End <= sp.Start || sp.End > len(body) || sp.End-sp.Start < MinPart {
				t.Fatalf("bad span %v after %d in %d bytes", sp, last, len(body))
			}
			last = sp.End
		}
		if got := roundTrip(t, c, body); !bytes.Equal(got, body) {
			t.Fatalf("round trip of %q gave %q", body, got)
		}
		if json.Valid(body) {
			// Valid JSON always scans (else its parts would go unshared).
			sc := splitter{b: body}
			if end, ok := sc.value(sc.ws(0), 0, false); !ok || sc.ws(end) != len(body) {
				t.Fatalf("valid JSON %q did not scan", body)
			}
		}
	})
}

// Repeats compares each of the answer's parts with the request's parts of
// its bytes, not with every request part of its size: an answer echoing a
// tools list of 20,000 entries of one length (5 MB, under MAX_BODY_BYTES)
// made 200 million comparisons, seconds of the recorder's single writer
// for one call while every other call's record waited.
func TestRepeatsComparesEachPartOnce(t *testing.T) {
	const n = 20_000
	var items []string
	for i := range n {
		items = append(items, fmt.Sprintf(`{"type":"function","name":"tool%08d","description":"%s"}`, i, strings.Repeat("d", 80)))
	}
	request := []byte(`{"tools":[` + strings.Join(items, ",") + `]}`)
	answer := []byte(`{"id":"resp_1","tools":[` + strings.Join(items, ",") + `],"extra":"` + strings.Repeat("x", 200) + `"}`)
	compared := 0
	defer func(f func(a, b []byte) bool) { sameBytes = f }(sameBytes)
	sameBytes = func(a, b []byte) bool { compared++; return bytes.Equal(a, b) }
	got := Repeats(answer, request, Split(request))
	if len(got) != n {
		t.Fatalf("%d of the %d echoed tools found", len(got), n)
	}
	for i, sp := range got {
		if string(answer[sp.Start:sp.End]) != items[i] {
			t.Fatalf("part %d: %.60q, want %.60q", i, answer[sp.Start:sp.End], items[i])
		}
	}
	if compared > 2*n {
		t.Errorf("%d comparisons for %d parts", compared, n)
	}
}

// Short numbers and strings in an array (a prompt of token ids, a list of
// numbers) make no runs: cut into 128-byte parts, each with its row, hash
// and index entry, a 2.8 MB array of token ids took 5.2 MB of the file,
// 1.85× the body stored whole uncompressed, where compressed in the
// skeleton it takes less than the body. They stay in the literal, and end
// a run of short messages they follow.
func TestShortScalarsMakeNoRuns(t *testing.T) {
	var ids []string
	for i := range 5000 {
		ids = append(ids, fmt.Sprint(i*7919%50000))
	}
	for _, body := range []string{
		`{"model":"m","prompt":[` + strings.Join(ids, ",") + `]}`,
		`{"stop":["` + strings.Join(ids, `","`) + `"]}`,
	} {
		if sp := Split([]byte(body)); len(sp) != 0 {
			t.Errorf("%.40s…: %d parts, want none", body, len(sp))
		}
	}
	hi, ok := `{"role":"user","content":"hi"}`, `{"role":"assistant","content":"ok"}`
	body := []byte(`[` + hi + `,` + ok + `,1,2,3,` + strings.Join(ids[:40], ",") + `]`)
	if sp := Split(body); len(sp) != 0 {
		t.Errorf("messages then numbers: parts %q, want none", body[sp[0].Start:sp[0].End])
	}
}

// strByBytes is the string scan split.go had before it looked for quotes
// with bytes.IndexByte: a backslash skips the byte after it, a quote ends
// the string. FuzzStringScan holds the new scan to it.
func strByBytes(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

func TestStringScanMatchesTheByteLoop(t *testing.T) {
	for _, in := range []string{`""`, `"a"`, `"a\"b"`, `"a\\"b"`, `"a\\\"b"`, `"\\\\"`, `"\\\\\"x"`, `"\`, `"\"`, `"abc`,
		`"\n\t\u0022"x`, `"` + strings.Repeat(`\"`, 50) + `"`, `"x\\` + `"`, `"\\`, `"a"b"`} {
		checkStringScan(t, []byte(in))
	}
}

func FuzzStringScan(f *testing.F) {
	for _, in := range []string{`"a\"b"`, `"\\\\"x"`, `"\`, `"abc\"`} {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 || in[0] != '"' {
			in = append([]byte{'"'}, in...)
		}
		checkStringScan(t, in)
	})
}

func checkStringScan(t *testing.T, in []byte) {
	t.Helper()
	s := splitter{b: in}
	gotEnd, gotOK := s.str(0)
	wantEnd, wantOK := strByBytes(in, 0)
	if gotEnd != wantEnd || gotOK != wantOK {
		t.Fatalf("str(%q) = %d, %v; the byte loop: %d, %v", in, gotEnd, gotOK, wantEnd, wantOK)
	}
}
