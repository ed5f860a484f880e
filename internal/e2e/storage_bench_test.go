package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/bodies"
)

// BenchmarkStorageThroughTheProxy replays an agent's conversation through
// the whole server — a client of each API, the proxy, the simulator — into
// a SQLite file, and measures, in the same run, what the recording
// cost on disk against what was new in the calls and against storing the
// four bodies whole. Unlike BenchmarkStorageAgent
// (internal/store/sqlstore), which writes synthetic records straight into
// the store, the bodies here are the ones the proxy really records: the
// upstream request as the proxy builds it, the answers as it assembles them.
//
// The conversation: a 20 KB system prompt (the Responses API's
// instructions), 12 tools with JSON-schema parameters, and calls that
// alternate, as the simulator lets an agent go on: a user message asking
// for a tool ("use read_file with {…}", now and then two at once) answered
// with tool calls, then the tools' results (0.3–6 KB of file contents, grep
// and command output, listings and docs: slices of the Go distribution's
// source, deterministic for a toolchain) answered with a short text. Every
// request resends the whole history (for Responses: the whole input, not
// previous_response_id, store:false), as agents do.
//
// The file (file=used) already holds conversations of other projects, as
// an operator's does: in an empty file (file=empty, for
// comparison) the indexes' first entries fit in root pages the migration
// made, so a conversation's index entries cost nothing, and each table's
// last page counts whole.
//
// Measured:
//
//   - disk: the SQLite file's growth over the conversation, WAL
//     checkpointed (the proxy stopped), rows and indexes and everything;
//   - new: per call, the raw bytes of the request's items that were not in
//     the previous request — each element of messages (input for
//     Responses) and the system prompt (system, instructions) and the tools
//     list as one item each, compared as the JSON bytes sent — but for the
//     model's own messages the client resends (counted once, as the answer
//     they came in; see newItems), plus the
//     answer's body as received (for streams, the assembled answer as
//     recorded), less the fields of the answer that echo the request's
//     (the Responses API returns instructions and tools with every answer;
//     the log gives the figure with the echo counted too). The first
//     call's system prompt and tools are new (BenchmarkStorageAgent counts
//     neither; the log gives the ratio without them too);
//   - whole: per call, the raw bytes of the four recorded bodies (client
//     request, upstream request, client answer, upstream answer), read back
//     through the store: what storing bodies whole and uncompressed costs
//     before rows and indexes.
//
// It asserts nothing about the target (PRODUCT.md §6: disk at most 1.5× new);
// it measures. The breakdown by table and by body is logged (-v):
//
//	QWENPROXY_TEST_DATABASE_URL=skip go test -run '^$' -bench StorageThroughTheProxy -benchtime 1x -v ./internal/e2e
func BenchmarkStorageThroughTheProxy(b *testing.B) {
	type variant struct {
		api    *agentAPI
		stream bool
		calls  int
		warm   bool
	}
	var variants []variant
	for _, api := range agentAPIs {
		variants = append(variants, variant{api, false, 40, true}, variant{api, false, 80, true}, variant{api, true, 80, true}, variant{api, false, 80, false})
	}
	for _, v := range variants {
		file := map[bool]string{true: "used", false: "empty"}[v.warm]
		b.Run(fmt.Sprintf("api=%s/stream=%v/calls=%d/file=%s", v.api.name, v.stream, v.calls, file), func(b *testing.B) {
			var r storageReplay
			for b.Loop() {
				r = replayAgentConversation(b, v.api, v.stream, v.calls, v.warm)
			}
			calls := float64(r.calls)
			b.ReportMetric(0, "ns/op") // sizes, not time
			b.ReportMetric(float64(r.sent)/calls, "sent-B/call")
			b.ReportMetric(float64(r.fresh)/calls, "new-B/call")
			b.ReportMetric(float64(r.grown)/calls, "disk-B/call")
			b.ReportMetric(float64(r.whole)/calls, "whole-B/call")
			b.ReportMetric(float64(r.grown)/float64(r.fresh), "disk/new")
			b.ReportMetric(float64(r.used())/float64(r.fresh), "used/new")
			b.ReportMetric(float64(r.whole)/float64(r.fresh), "whole/new")
			r.log(b)
		})
	}
}

// The benchmark's replay works end to end on every API (a short
// conversation; the figures are the benchmark's to report, not checked).
func TestStorageThroughTheProxyRuns(t *testing.T) {
	for _, api := range agentAPIs {
		for _, stream := range []bool{false, true} {
			r := replayAgentConversation(t, api, stream, 8, stream)
			if r.calls != 8 || r.recorded != 8 || r.toolCalls < 4 || r.grown <= 0 || r.fresh <= 0 || r.whole <= r.fresh {
				t.Errorf("%s stream=%v: %d calls, %d recorded, %d tool calls, grew %d, new %d, whole %d",
					api.name, stream, r.calls, r.recorded, r.toolCalls, r.grown, r.fresh, r.whole)
			}
			t.Logf("%s stream=%v: disk/new %.2f, whole/new %.2f", api.name, stream, float64(r.grown)/float64(r.fresh), float64(r.whole)/float64(r.fresh))
		}
	}
}

// storageReplay is one conversation's figures.
type storageReplay struct {
	calls, recorded, toolCalls int
	sessions, chats            int
	sent                       int64 // client request bytes sent
	fresh                      int64 // new bytes (see the benchmark)
	freshEcho                  int64 // new bytes counting the answers' echo of the request as new
	firstPrompt                int64 // the first call's system prompt and tools (in fresh)
	grown                      int64 // the file's growth, WAL checkpointed
	whole                      int64 // the four bodies' raw bytes
	raw                        [4]int64
	before, after              map[string][2]int64 // dbstat by table or index: bytes in pages, bytes used
	small, smallBytes          int                 // the last request's items under bodies.MinPart, and their bytes
	sessionIDs                 map[string]bool
	warmCalls                  int // the calls of the conversations in the file before this one
	pages                      string
	columns                    []string // stored blob bytes by column, logged
}

// used is the growth of the bytes in use in the file's pages (dbstat's
// pgsize less unused, every table and index): what the conversation costs
// where pages are full. A file's growth in pages can be less — index
// entries that still fit in pages the file had — or more (pages part
// empty); over many conversations it is used ÷ how full pages are kept.
func (r storageReplay) used() int64 {
	var n int64
	for name, after := range r.after {
		n += after[1] - r.before[name][1]
	}
	return n
}

var bodyNames = [4]string{"client request", "upstream request", "client answer", "upstream answer"}

func (r storageReplay) log(t testing.TB) {
	t.Helper()
	f := func(n int64) string { return fmt.Sprintf("%7.1f KB", float64(n)/1024) }
	if r.warmCalls > 0 {
		t.Logf("measured in a file that holds %d conversations of other projects first, %d calls", earlierConversations, r.warmCalls)
	}
	t.Logf("%d calls (%d tool calls made), %d session(s), %d Qwen chat(s); sent %s, new %s (%s counting the Responses echo; the first call's system prompt and tools: %s)",
		r.calls, r.toolCalls, r.sessions, r.chats, f(r.sent), f(r.fresh), f(r.freshEcho), f(r.firstPrompt))
	t.Logf("file grew %s = %.2f× new (%.2f× new without the first prompt and tools), bytes in use in its pages %s = %.2f× new; bodies whole %s = %.2f× new; %s",
		f(r.grown), float64(r.grown)/float64(r.fresh), float64(r.grown)/float64(r.fresh-r.firstPrompt), f(r.used()), float64(r.used())/float64(r.fresh), f(r.whole),
		float64(r.whole)/float64(r.fresh), r.pages)
	for i, n := range r.raw {
		t.Logf("  raw %-16s %s  %6.0f B/call", bodyNames[i], f(n), float64(n)/float64(r.calls))
	}
	for _, c := range r.columns {
		t.Logf("  %s", c)
	}
	t.Logf("  the last request has %d message(s) under the %d-byte part minimum, %d B: kept in its skeleton's literal, as in every call's since they were sent",
		r.small, bodies.MinPart, r.smallBytes)
	var names []string
	for name := range r.after {
		names = append(names, name)
	}
	grew := func(name string, i int) int64 { return r.after[name][i] - r.before[name][i] }
	sort.Slice(names, func(i, j int) bool { return grew(names[i], 0) > grew(names[j], 0) })
	// Tables one by one, the indexes together: one conversation's index
	// entries fit in pages the empty database has already, so "used" (the
	// bytes of the pages in use) is what they cost per call in a database
	// of many conversations.
	var indexes [2]int64
	var indexNames []string
	for _, name := range names {
		g, used := grew(name, 0), grew(name, 1)
		if strings.HasPrefix(name, "idx_") || strings.HasPrefix(name, "sqlite_autoindex_") {
			indexes[0] += g
			indexes[1] += used
			if used >= int64(r.calls)*20 {
				indexNames = append(indexNames, fmt.Sprintf("%s %.0f", name, float64(used)/float64(r.calls)))
			}
			continue
		}
		if g != 0 || used != 0 {
			t.Logf("  dbstat %-16s pages +%s %5.1f%% of the growth %6.0f B/call; used +%s %6.0f B/call", name, f(g),
				100*float64(g)/float64(r.grown), float64(g)/float64(r.calls), f(used), float64(used)/float64(r.calls))
		}
	}
	sort.Strings(indexNames)
	t.Logf("  dbstat %-16s pages +%s %5.1f%% of the growth %6.0f B/call; used +%s %6.0f B/call (B/call of those over 20: %s)", "indexes", f(indexes[0]),
		100*float64(indexes[0])/float64(r.grown), float64(indexes[0])/float64(r.calls), f(indexes[1]), float64(indexes[1])/float64(r.calls),
		strings.Join(indexNames, ", "))
}

// earlierConversations is how many conversations of other projects fill
// the file before the one measured, with warm: enough that every index
// has pages of its own to split.
const earlierConversations = 10

// replayAgentConversation runs one conversation of calls through a new
// proxy and measures it. With warm, earlierConversations conversations of
// other projects, as long (other system prompts, other tools'
// descriptions, other tool results: nothing to share), fill the file first
// and only the last is measured: in a database of many conversations,
// index entries need pages of their own and every table's last page is as
// full as any, where an empty file has a root page ready for each index
// and rounds each table up to a page.
func replayAgentConversation(t testing.TB, api *agentAPI, stream bool, calls int, warm bool) storageReplay {
	t.Helper()
	shape := agentShapeOnce()
	e := startOnWith(t, "sqlite", qwensim.Options{}, func(c *config.Config) { c.LogLevel = "info" })
	var r storageReplay
	if warm {
		for i := range earlierConversations {
			var earlier storageReplay
			earlier.converse(t, e, api, shape.otherProject(i), uint64(12+i), stream, calls)
			r.warmCalls += calls
		}
	}
	// The database as it was before the conversation, WAL checkpointed:
	// stop, measure, start again on the same file.
	e.stop()
	start, before := dbFigures(t, e.cfg.DatabasePath, nil)
	r.before = before
	e.restart()

	chatsBefore := e.sim.Chats()
	ids := r.converse(t, e, api, shape, 11, stream, calls)
	r.sessions, r.chats = len(r.sessionIDs), e.sim.Chats()-chatsBefore

	// The baseline: the four bodies as recorded, read back.
	e.sync()
	for _, id := range ids {
		rec, err := e.app.Store().Request(context.Background(), id)
		if err != nil {
			t.Fatalf("record %s: %v", id, err)
		}
		r.recorded++
		r.raw[0] += int64(len(rec.OpenAIRequest))
		r.raw[1] += int64(len(rec.QwenRequest))
		if rec.Response != nil {
			r.raw[2] += int64(len(rec.Response.OpenAIResponse))
			r.raw[3] += int64(len(rec.Response.QwenResponse))
		}
	}
	for _, n := range r.raw {
		r.whole += n
	}

	e.stop()
	full, after := dbFigures(t, e.cfg.DatabasePath, func(db *sql.DB) { r.pages, r.columns = storedColumns(t, db, r.calls+r.warmCalls) })
	r.after, r.grown = after, full-start
	return r
}

// converse runs one conversation of calls (its text from seed) through e's
// proxy, counting into r what it sent and what was new, and returns the
// calls' request ids.
func (r *storageReplay) converse(t testing.TB, e *env, api *agentAPI, shape *agentShape, seed uint64, stream bool, calls int) []string {
	t.Helper()
	gen := newAgentText(shape.corpus, seed)
	items := []json.RawMessage{api.user(gen.task())}
	var prev map[string]bool
	said := map[string]bool{} // the model's messages, as the client resends them
	asked := true             // the last item asks for a tool
	var ids []string
	r.sessionIDs = map[string]bool{}
	client := &http.Client{}
	for call := range calls {
		body := api.request(shape, api.model, stream, items)
		r.sent += int64(len(body))
		req, err := http.NewRequest(http.MethodPost, e.app.URL()+api.path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s call %d: %s %v: %.500s", api.name, call, resp.Status, err, answer)
		}
		id := resp.Header.Get("X-Request-Id")
		ids = append(ids, id)
		r.sessionIDs[resp.Header.Get("X-Session-Id")] = true
		if stream { // the answer as assembled and recorded
			e.sync()
			rec, err := e.app.Store().Request(context.Background(), id)
			if err != nil || rec.Response == nil {
				t.Fatalf("%s call %d: record %s: %v", api.name, call, id, err)
			}
			answer = rec.Response.OpenAIResponse
		}

		// What was new in this call: its items not in the previous
		// request, and the answer less what it echoes of the request.
		now := requestItems(t, body)
		for _, item := range newItems(now, prev, said) {
			r.fresh += int64(len(item))
			r.freshEcho += int64(len(item))
			if call == 0 && !slices.ContainsFunc(items, func(m json.RawMessage) bool { return string(m) == item }) {
				r.firstPrompt += int64(len(item)) // the system prompt and the tools
			}
		}
		prev = now
		if call == calls-1 {
			for _, item := range items {
				if len(item) < bodies.MinPart {
					r.small++
					r.smallBytes += len(item)
				}
			}
		}
		echo := echoed(t, body, answer)
		r.fresh += int64(len(answer) - echo)
		r.freshEcho += int64(len(answer))

		saying, toolCalls := api.answer(t, answer)
		items = append(items, saying...)
		for _, m := range saying {
			said[string(m)] = true
		}
		if len(toolCalls) > 0 {
			r.toolCalls += len(toolCalls)
			for _, c := range toolCalls {
				items = append(items, api.result(c, gen.result(c.name)))
			}
		} else {
			if asked {
				t.Fatalf("%s call %d: the model called no tool: %.300s", api.name, call, answer)
			}
			items = append(items, api.user(gen.instruction()))
		}
		asked = len(toolCalls) == 0
		r.calls++
	}
	return ids
}

// newItems returns the items of a request (now) that are new in it: not in
// the previous request, and not the model's own messages (said) that the
// client resends — those were new once, as the answer they came in.
func newItems(now, prev, said map[string]bool) []string {
	var out []string
	for item := range now {
		if !prev[item] && !said[item] {
			out = append(out, item)
		}
	}
	return out
}

// dbFigures checkpoints the WAL into the file (the proxy stopped) and
// returns the file's size and dbstat's bytes by table and index; more, if
// set, reads the database before it is closed.
func dbFigures(t testing.TB, path string, more func(*sql.DB)) (int64, map[string][2]int64) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var busy, logged, done int
	if err := db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &done); err != nil || busy != 0 {
		t.Fatalf("checkpoint: busy %d, %v", busy, err)
	}
	size := int64(0)
	for _, suffix := range []string{"", "-wal"} { // the WAL is empty now; counted if not
		if fi, err := os.Stat(path + suffix); err == nil {
			size += fi.Size()
		}
	}
	byName := map[string][2]int64{}
	rows, err := db.Query(`SELECT name, SUM(pgsize), SUM(pgsize-unused) FROM dbstat GROUP BY name`)
	if err != nil {
		t.Fatalf("dbstat: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var pages, used int64
		if err := rows.Scan(&name, &pages, &used); err != nil {
			t.Fatal(err)
		}
		byName[name] = [2]int64{pages, used}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if more != nil {
		more(db)
	}
	return size, byName
}

// storedColumns sums the stored blobs by column and decodes the client
// requests' skeletons (how many part references, how many literal bytes
// they keep — the bytes outside parts, stored again with every call), over
// the whole file: per call is per call of every conversation in it.
func storedColumns(t testing.TB, db *sql.DB, calls int) (string, []string) {
	t.Helper()
	var pageSize, pageCount, freelist int64
	for q, v := range map[string]*int64{"PRAGMA page_size": &pageSize, "PRAGMA page_count": &pageCount, "PRAGMA freelist_count": &freelist} {
		if err := db.QueryRow(q).Scan(v); err != nil {
			t.Fatal(err)
		}
	}
	pages := fmt.Sprintf("%d pages of %d B, %d free", pageCount, pageSize, freelist)
	per := func(n int64) string {
		return fmt.Sprintf("%8.1f KB %6.0f B/call", float64(n)/1024, float64(n)/float64(calls))
	}
	var out []string
	for _, c := range []struct{ label, query string }{
		{"request_bodies.openai_request_z  ", `SELECT COALESCE(SUM(LENGTH(openai_request_z)),0) FROM request_bodies`},
		{"request_bodies.qwen_request_z    ", `SELECT COALESCE(SUM(LENGTH(qwen_request_z)),0) FROM request_bodies`},
		{"response_bodies.openai_response_z", `SELECT COALESCE(SUM(LENGTH(openai_response_z)),0) FROM response_bodies`},
		{"response_bodies.qwen_response_z  ", `SELECT COALESCE(SUM(LENGTH(qwen_response_z)),0) FROM response_bodies`},
		{"body_parts.data                  ", `SELECT COALESCE(SUM(LENGTH(data)),0) FROM body_parts`},
		{"body_parts.size (raw)            ", `SELECT COALESCE(SUM(size),0) FROM body_parts`},
		{"old text columns (should be 0)   ", `SELECT COALESCE(SUM(LENGTH(openai_request)+LENGTH(qwen_request)),0) FROM request_bodies`},
	} {
		var n int64
		if err := db.QueryRow(c.query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.label, err)
		}
		out = append(out, "stored "+c.label+" "+per(n))
	}
	var rowsOut []string
	for _, table := range []string{"requests", "responses", "request_bodies", "response_bodies", "body_parts", "body_part_uses", "sessions"} {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		rowsOut = append(rowsOut, fmt.Sprintf("%s %d", table, n))
	}
	out = append(out, "rows: "+strings.Join(rowsOut, ", "))

	// The client requests' skeletons.
	codec := bodies.NewCodec()
	rows, err := db.Query(`SELECT openai_request_z FROM request_bodies WHERE openai_request_z IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var refs, refBytes, literal, literalZ, skeletons int64
	for rows.Next() {
		var skel []byte
		if err := rows.Scan(&skel); err != nil {
			t.Fatal(err)
		}
		rs, lit, err := bodies.Unpack(skel)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := codec.Decompress(lit)
		if err != nil {
			t.Fatal(err)
		}
		skeletons++
		refs += int64(len(rs))
		refBytes += int64(len(skel) - len(lit))
		literal += int64(len(raw))
		literalZ += int64(len(lit))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if skeletons > 0 {
		out = append(out, fmt.Sprintf("client request skeletons: %.0f part references/call (%.0f B of references/call), literal %.0f B raw → %.0f B stored per call",
			float64(refs)/float64(skeletons), float64(refBytes)/float64(skeletons), float64(literal)/float64(skeletons), float64(literalZ)/float64(skeletons)))
	}
	return pages, out
}

// requestItems is the set of a request's items, as the JSON bytes sent:
// each element of messages or input, and the system prompt and tools whole.
func requestItems(t testing.TB, body []byte) map[string]bool {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatal(err)
	}
	items := map[string]bool{}
	for _, key := range []string{"messages", "input"} {
		var list []json.RawMessage
		if raw, ok := top[key]; ok {
			if err := json.Unmarshal(raw, &list); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range list {
			items[string(m)] = true
		}
	}
	for _, key := range []string{"system", "instructions", "tools"} {
		if raw, ok := top[key]; ok {
			items[string(raw)] = true
		}
	}
	return items
}

// echoed is the bytes of the answer's top-level fields that repeat the
// request's (the Responses API's instructions and tools).
func echoed(t testing.TB, request, answer []byte) int {
	t.Helper()
	var req, ans map[string]json.RawMessage
	if err := json.Unmarshal(request, &req); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(answer, &ans); err != nil {
		t.Fatalf("answer: %v: %.300s", err, answer)
	}
	n := 0
	for _, key := range []string{"instructions", "tools", "system"} {
		a, r := ans[key], req[key]
		if len(a) < 64 || len(r) == 0 {
			continue
		}
		var va, vr any
		if json.Unmarshal(a, &va) == nil && json.Unmarshal(r, &vr) == nil && (reflect.DeepEqual(va, vr) || sameTools(a, r)) {
			n += len(a) // the same value, whatever its escaping
		}
	}
	return n
}

// sameTools says whether an answer's tools list names the same functions
// as the request's (the echo may add defaults such as "strict").
func sameTools(answer, request json.RawMessage) bool {
	names := func(raw json.RawMessage) []string {
		var list []struct {
			Name     string `json:"name"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		var out []string
		for _, l := range list {
			out = append(out, l.Name+l.Function.Name)
		}
		return out
	}
	a, r := names(answer), names(request)
	return len(a) > 0 && slices.Equal(a, r)
}

// toolCall is a call the model made: its id and function.
type toolCall struct{ id, name string }

// agentAPI is how an agent speaks one client API.
type agentAPI struct {
	name, path, model string
	// request is the whole request: the system prompt, tools and items.
	request func(s *agentShape, model string, stream bool, items []json.RawMessage) []byte
	// answer returns the items an agent appends to its history for an
	// answer body, and the tool calls in it.
	answer func(t testing.TB, body []byte) ([]json.RawMessage, []toolCall)
	user   func(text string) json.RawMessage
	result func(c toolCall, output string) json.RawMessage
}

var agentAPIs = []*agentAPI{
	{
		name: "chat", path: "/v1/chat/completions", model: "qwen3-coder-plus",
		request: func(s *agentShape, model string, stream bool, items []json.RawMessage) []byte {
			system := `{"role":"system","content":` + quoteJS(s.system) + `}`
			return []byte(`{"model":"` + model + `","messages":[` + system + `,` + joinRaw(items) + `],"tools":` + s.chatTools +
				`,"tool_choice":"auto","stream":` + fmt.Sprint(stream) + `,"max_tokens":32000}`)
		},
		answer: func(t testing.TB, body []byte) ([]json.RawMessage, []toolCall) {
			var a struct {
				Choices []struct {
					Message json.RawMessage `json:"message"`
				} `json:"choices"`
			}
			if err := json.Unmarshal(body, &a); err != nil || len(a.Choices) == 0 {
				t.Fatalf("chat answer: %v: %.300s", err, body)
			}
			var m struct {
				ToolCalls []struct {
					ID       string `json:"id"`
					Function struct {
						Name string `json:"name"`
					} `json:"function"`
				} `json:"tool_calls"`
			}
			json.Unmarshal(a.Choices[0].Message, &m)
			var calls []toolCall
			for _, c := range m.ToolCalls {
				calls = append(calls, toolCall{c.ID, c.Function.Name})
			}
			return []json.RawMessage{a.Choices[0].Message}, calls
		},
		user: func(text string) json.RawMessage {
			return json.RawMessage(`{"role":"user","content":` + quoteJS(text) + `}`)
		},
		result: func(c toolCall, output string) json.RawMessage {
			return json.RawMessage(`{"role":"tool","tool_call_id":"` + c.id + `","content":` + quoteJS(output) + `}`)
		},
	},
	{
		name: "messages", path: "/v1/messages", model: "claude-sonnet-4-5",
		request: func(s *agentShape, model string, stream bool, items []json.RawMessage) []byte {
			return []byte(`{"model":"` + model + `","max_tokens":32000,"system":` + quoteJS(s.system) + `,"tools":` + s.anthropicTools +
				`,"messages":[` + joinRaw(items) + `],"stream":` + fmt.Sprint(stream) + `}`)
		},
		answer: func(t testing.TB, body []byte) ([]json.RawMessage, []toolCall) {
			var a struct {
				Content json.RawMessage `json:"content"`
			}
			if err := json.Unmarshal(body, &a); err != nil || len(a.Content) == 0 {
				t.Fatalf("messages answer: %v: %.300s", err, body)
			}
			var blocks []struct {
				Type string `json:"type"`
				ID   string `json:"id"`
				Name string `json:"name"`
			}
			json.Unmarshal(a.Content, &blocks)
			var calls []toolCall
			for _, b := range blocks {
				if b.Type == "tool_use" {
					calls = append(calls, toolCall{b.ID, b.Name})
				}
			}
			return []json.RawMessage{json.RawMessage(`{"role":"assistant","content":` + string(a.Content) + `}`)}, calls
		},
		user: func(text string) json.RawMessage {
			return json.RawMessage(`{"role":"user","content":` + quoteJS(text) + `}`)
		},
		result: func(c toolCall, output string) json.RawMessage {
			return json.RawMessage(`{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + c.id + `","content":` + quoteJS(output) + `}]}`)
		},
	},
	{
		name: "responses", path: "/v1/responses", model: "gpt-5",
		request: func(s *agentShape, model string, stream bool, items []json.RawMessage) []byte {
			return []byte(`{"model":"` + model + `","instructions":` + quoteJS(s.system) + `,"input":[` + joinRaw(items) + `],"tools":` + s.responsesTools +
				`,"tool_choice":"auto","parallel_tool_calls":true,"store":false,"stream":` + fmt.Sprint(stream) + `}`)
		},
		answer: func(t testing.TB, body []byte) ([]json.RawMessage, []toolCall) {
			var a struct {
				Output []json.RawMessage `json:"output"`
			}
			if err := json.Unmarshal(body, &a); err != nil || len(a.Output) == 0 {
				t.Fatalf("responses answer: %v: %.300s", err, body)
			}
			var calls []toolCall
			for _, o := range a.Output {
				var item struct {
					Type   string `json:"type"`
					CallID string `json:"call_id"`
					Name   string `json:"name"`
				}
				json.Unmarshal(o, &item)
				if item.Type == "function_call" {
					calls = append(calls, toolCall{item.CallID, item.Name})
				}
			}
			return a.Output, calls
		},
		user: func(text string) json.RawMessage {
			return json.RawMessage(`{"role":"user","content":` + quoteJS(text) + `}`)
		},
		result: func(c toolCall, output string) json.RawMessage {
			return json.RawMessage(`{"type":"function_call_output","call_id":"` + c.id + `","output":` + quoteJS(output) + `}`)
		},
	},
}

// quoteJS quotes s as JavaScript clients do (no HTML escaping).
func quoteJS(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func joinRaw(items []json.RawMessage) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = string(it)
	}
	return strings.Join(parts, ",")
}

// agentShape is what every call of a conversation resends: the system
// prompt and the tools, in each API's form; and the text the tools read.
type agentShape struct {
	system                                    string
	chatTools, anthropicTools, responsesTools string
	corpus                                    *agentCorpus
}

var agentShapeOnce = sync.OnceValue(func() *agentShape {
	c := loadAgentCorpus()
	// The project's notes: the Go distribution's GODEBUG history standing
	// in for AGENTS.md.
	return newAgentShape(c, c.godebug, "")
})

// otherProject is the shape of another project's agent (i of them): other
// notes in the system prompt, other tools' descriptions; nothing of s's or
// another's repeats in it.
func (s *agentShape) otherProject(i int) *agentShape {
	spec := s.corpus.spec
	notes := spec[i*len(spec)/earlierConversations:]
	return newAgentShape(s.corpus, notes, fmt.Sprintf("In project %d's checkout: ", i+2))
}

// newAgentShape makes a 20 KB system prompt (an agent's rules, its
// environment, then notes) and the tools list, each description after
// toolPrefix.
func newAgentShape(c *agentCorpus, notes, toolPrefix string) *agentShape {
	s := &agentShape{corpus: c}
	var b strings.Builder
	b.WriteString(agentRules)
	b.WriteString("\n\n# Project notes (AGENTS.md)\n\n")
	b.WriteString(notes)
	s.system = b.String()[:20_000]
	var chat, anthropic, responses []string
	for _, tool := range agentTools {
		desc := quoteJS(toolPrefix + tool.description)
		chat = append(chat, `{"type":"function","function":{"name":"`+tool.name+`","description":`+desc+`,"parameters":`+tool.parameters+`}}`)
		anthropic = append(anthropic, `{"name":"`+tool.name+`","description":`+desc+`,"input_schema":`+tool.parameters+`}`)
		responses = append(responses, `{"type":"function","name":"`+tool.name+`","description":`+desc+`,"parameters":`+tool.parameters+`,"strict":false}`)
	}
	s.chatTools = "[" + strings.Join(chat, ",") + "]"
	s.anthropicTools = "[" + strings.Join(anthropic, ",") + "]"
	s.responsesTools = "[" + strings.Join(responses, ",") + "]"
	return s
}

// agentCorpus is text from the Go distribution the test runs with: source
// files of a few packages (what read_file, grep and the test runner show)
// and documentation (what web_fetch reads). Deterministic for a toolchain.
type agentCorpus struct {
	files   []corpusFile
	godebug string // doc/godebug.md
	spec    string // doc/go_spec.html
}

type corpusFile struct {
	path  string // as an agent sees it, under the working directory
	lines []string
	size  int
}

func loadAgentCorpus() *agentCorpus {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		panic(fmt.Sprintf("go env GOROOT: %v", err))
	}
	root := strings.TrimSpace(string(out))
	c := &agentCorpus{}
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			panic(err)
		}
		return strings.ReplaceAll(string(b), "stubborn", "obstinate") // the simulator's word for "never call a tool"
	}
	c.godebug, c.spec = read("doc/godebug.md"), read("doc/go_spec.html")
	for _, dir := range []string{"net/http", "encoding/json", "bufio", "strings", "bytes", "context", "os/exec", "sync", "io", "text/template"} {
		names, err := filepath.Glob(filepath.Join(root, "src", dir, "*.go"))
		if err != nil {
			panic(err)
		}
		sort.Strings(names)
		for _, name := range names {
			rel, _ := filepath.Rel(filepath.Join(root, "src"), name)
			text := read(filepath.Join("src", rel))
			c.files = append(c.files, corpusFile{path: filepath.ToSlash(rel), lines: strings.Split(text, "\n"), size: len(text)})
		}
	}
	if len(c.files) < 50 || len(c.godebug) < 20_000 {
		panic(fmt.Sprintf("Go distribution at %s: %d files, godebug.md %d bytes", root, len(c.files), len(c.godebug)))
	}
	return c
}

// agentText writes a conversation's user messages and tool results,
// deterministically.
type agentText struct {
	c    *agentCorpus
	rng  *rand.Rand
	n    int
	args map[string]string // the arguments of the latest call of each tool
	dirs map[string]string // and the package it looked at
}

func newAgentText(c *agentCorpus, seed uint64) *agentText {
	return &agentText{c: c, rng: rand.New(rand.NewPCG(seed, 42)), args: map[string]string{}, dirs: map[string]string{}}
}

func (g *agentText) task() string {
	return "We are working in a checkout of the Go distribution (./src). The HTTP server sometimes keeps idle connections open " +
		"past IdleTimeout when a handler hijacks and then releases the connection, and the JSON decoder's error for a truncated " +
		"number points at the wrong offset. Find where each happens, write a failing test for both, fix them with the smallest " +
		"change that reads well, and run the package tests. Do not touch vendored code. Start by reading the server.\n\n" +
		"use read_file with " + g.call("read_file")
}

var steering = []string{
	"Good. Now look further.",
	"That is not where the timeout is reset; keep looking.",
	"Before changing anything, check how the tests for this are written.",
	"Careful: the decoder is used by other packages too. Check the callers.",
	"OK, that matches what I expected. Next step.",
	"Please keep the change small and keep the existing comments accurate.",
	"Let's make sure nothing else depends on this behaviour.",
	"Fine. Now verify it.",
	"Hmm, the output is long; focus on the failing part.",
	"Remember to follow the project's notes on GODEBUG settings if the behaviour changes.",
}

// instruction is the user's next message: a steer and a request the
// simulator answers with a call (two calls, now and then).
func (g *agentText) instruction() string {
	g.n++
	s := steering[g.rng.IntN(len(steering))]
	if g.rng.IntN(3) == 0 {
		s += " " + steering[g.rng.IntN(len(steering))]
	}
	first := g.pickTool()
	s += "\n\nuse " + first + " with " + g.call(first)
	if g.n%4 == 0 {
		second := g.pickTool()
		s += " and use " + second + " with " + g.call(second)
	}
	return s
}

func (g *agentText) pickTool() string {
	switch n := g.rng.IntN(100); {
	case n < 40:
		return "read_file"
	case n < 60:
		return "grep"
	case n < 78:
		return "bash"
	case n < 86:
		return "list_dir"
	case n < 94:
		return "glob"
	default:
		return "web_fetch"
	}
}

// call writes the arguments of a call of tool (one line of JSON, as the
// simulator reads them) and remembers them for the result.
func (g *agentText) call(tool string) string {
	f := g.c.files[g.rng.IntN(len(g.c.files))]
	dir := filepath.ToSlash(filepath.Dir(f.path))
	var args string
	switch tool {
	case "read_file":
		args = fmt.Sprintf(`{"filePath": "/home/dev/go/src/%s", "offset": %d, "limit": 2000}`, f.path, 1+g.rng.IntN(max(1, len(f.lines)/2)))
	case "grep":
		args = fmt.Sprintf(`{"pattern": %s, "path": "/home/dev/go/src/%s", "include": "*.go"}`, quoteJS(g.word(f)), dir)
	case "bash":
		args = fmt.Sprintf(`{"command": "cd /home/dev/go/src && go test -v -count=1 ./%s/", "timeout": 120000, "description": "Run the %s tests"}`, dir, dir)
	case "list_dir":
		args = fmt.Sprintf(`{"path": "/home/dev/go/src/%s"}`, dir)
	case "glob":
		args = fmt.Sprintf(`{"pattern": "**/*_test.go", "path": "/home/dev/go/src/%s"}`, dir)
	default:
		args = `{"url": "https://go.dev/ref/spec", "format": "markdown"}`
	}
	g.args[tool], g.dirs[tool] = args, dir
	return args
}

var identifier = regexp.MustCompile(`\b[A-Z][A-Za-z0-9]{4,}\b`)

// word is an identifier from the file, for grep to look for.
func (g *agentText) word(f corpusFile) string {
	for range 50 {
		if ws := identifier.FindAllString(f.lines[g.rng.IntN(len(f.lines))], -1); len(ws) > 0 {
			return ws[g.rng.IntN(len(ws))]
		}
	}
	return "Handler"
}

// result is a tool's output for its latest call: 0.3–6 KB of what such a
// tool prints, cut at a line.
func (g *agentText) result(tool string) string {
	size := 300 + g.rng.IntN(5700)
	var b strings.Builder
	var args struct {
		FilePath string `json:"filePath"`
		Offset   int    `json:"offset"`
		Pattern  string `json:"pattern"`
		Path     string `json:"path"`
	}
	json.Unmarshal([]byte(g.args[tool]), &args)
	rel := func(p string) string { return strings.TrimPrefix(p, "/home/dev/go/src/") }
	switch tool {
	case "read_file":
		f := g.file(rel(args.FilePath))
		b.WriteString("<file>\n")
		for i := max(0, args.Offset-1); i < len(f.lines) && b.Len() < size; i++ {
			fmt.Fprintf(&b, "%05d| %s\n", i+1, f.lines[i])
		}
		b.WriteString("</file>")
	case "grep":
		var hits []string
		for _, f := range g.c.files {
			if !strings.HasPrefix(f.path, rel(args.Path)+"/") {
				continue
			}
			for i, line := range f.lines {
				if strings.Contains(line, args.Pattern) {
					hits = append(hits, fmt.Sprintf("%s:\n  Line %d: %s", f.path, i+1, strings.TrimSpace(line)))
				}
			}
		}
		fmt.Fprintf(&b, "Found %d matches\n", len(hits))
		for _, h := range hits {
			if b.Len() > size {
				b.WriteString("\n(Results are truncated. Consider using a more specific path or pattern.)")
				break
			}
			b.WriteString(h + "\n")
		}
	case "bash":
		pkg := g.dirs[tool]
		test := regexp.MustCompile(`^func (Test[A-Za-z0-9_]+)\(`)
		for _, f := range g.c.files {
			if filepath.ToSlash(filepath.Dir(f.path)) != pkg || !strings.HasSuffix(f.path, "_test.go") {
				continue
			}
			for _, line := range f.lines {
				if m := test.FindStringSubmatch(line); m != nil && b.Len() < size {
					d := g.rng.IntN(300)
					fmt.Fprintf(&b, "=== RUN   %s\n", m[1])
					if d%37 == 0 {
						fmt.Fprintf(&b, "    %s: %s:%d: got %d, want %d\n", m[1], filepath.Base(f.path), 10+g.rng.IntN(900), d, d+1)
						fmt.Fprintf(&b, "--- FAIL: %s (0.%02ds)\n", m[1], d%100)
					} else {
						fmt.Fprintf(&b, "--- PASS: %s (0.%02ds)\n", m[1], d%100)
					}
				}
			}
		}
		fmt.Fprintf(&b, "FAIL\nFAIL\t%s\t%d.%03ds\nFAIL\n", pkg, 1+g.rng.IntN(9), g.rng.IntN(1000))
	case "list_dir":
		fmt.Fprintf(&b, "%s/\n", args.Path)
		for _, f := range g.c.files {
			if b.Len() < size && strings.HasPrefix(f.path, rel(args.Path)+"/") && !strings.Contains(strings.TrimPrefix(f.path, rel(args.Path)+"/"), "/") {
				fmt.Fprintf(&b, "  - %s (%d bytes)\n", filepath.Base(f.path), f.size)
			}
		}
	case "glob":
		for _, f := range g.c.files {
			if b.Len() < size && strings.HasPrefix(f.path, rel(args.Path)+"/") && strings.HasSuffix(f.path, "_test.go") {
				fmt.Fprintf(&b, "/home/dev/go/src/%s\n", f.path)
			}
		}
	default:
		at := g.rng.IntN(len(g.c.spec) - size)
		at += strings.IndexByte(g.c.spec[at:], '\n') + 1
		b.WriteString(g.c.spec[at : at+size])
	}
	out := b.String()
	if len(out) < 300 { // a short listing: pad with the file it names, as an agent reads on
		f := g.c.files[g.rng.IntN(len(g.c.files))]
		for i := 0; i < len(f.lines) && len(out) < 300+g.rng.IntN(1000); i++ {
			out += f.lines[i] + "\n"
		}
	}
	if len(out) > 6000 {
		out = out[:strings.LastIndexByte(out[:6000], '\n')+1]
	}
	return out
}

func (g *agentText) file(path string) corpusFile {
	for _, f := range g.c.files {
		if f.path == path {
			return f
		}
	}
	panic("no file " + path)
}

// agentTools are 12 tools of a coding agent, with its descriptions and
// parameters (after OpenCode's and Cline's).
var agentTools = []struct{ name, description, parameters string }{
	{"bash", "Executes a given bash command in a persistent shell session with optional timeout, ensuring proper handling and security measures.\n\n" +
		"Before executing the command, please follow these steps:\n1. Directory Verification: If the command will create new directories or files, first use the list_dir tool to verify the parent directory exists and is the correct location.\n" +
		"2. Command Execution: Always quote file paths that contain spaces with double quotes. After ensuring proper quoting, execute the command and capture its output.\n\n" +
		"Usage notes:\n- The command argument is required.\n- You can specify an optional timeout in milliseconds (up to 600000ms / 10 minutes). If not specified, commands will timeout after 120000ms (2 minutes).\n" +
		"- It is very helpful if you write a clear, concise description of what this command does in 5-10 words.\n- If the output exceeds 30000 characters, output will be truncated before being returned to you.\n" +
		"- Avoid using search commands like find and grep; use grep, glob or task instead. Avoid read tools like cat, head, tail and ls; use read_file and list_dir.\n" +
		"- When issuing multiple commands, use the ';' or '&&' operator to separate them. DO NOT use newlines (newlines are ok in quoted strings).",
		`{"type":"object","properties":{"command":{"type":"string","description":"The command to execute"},"timeout":{"type":"number","description":"Optional timeout in milliseconds"},"description":{"type":"string","description":"Clear, concise description of what this command does in 5-10 words. Examples:\nInput: ls\nOutput: Lists files in current directory\n\nInput: git status\nOutput: Shows working tree status"}},"required":["command","description"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"read_file", "Reads a file from the local filesystem. You can access any file directly by using this tool.\nAssume this tool is able to read all files on the machine. If the User provides a path to a file assume that path is valid. It is okay to read a file that does not exist; an error will be returned.\n\n" +
		"Usage:\n- The filePath parameter must be an absolute path, not a relative path\n- By default, it reads up to 2000 lines starting from the beginning of the file\n- You can optionally specify a line offset and limit (especially handy for long files), but it's recommended to read the whole file by not providing these parameters\n" +
		"- Any lines longer than 2000 characters will be truncated\n- Results are returned using cat -n format, with line numbers starting at 1\n- You have the capability to call multiple tools in a single response. It is always better to speculatively read multiple files as a batch that are potentially useful.",
		`{"type":"object","properties":{"filePath":{"type":"string","description":"The path to the file to read"},"offset":{"type":"number","description":"The line number to start reading from (0-based)"},"limit":{"type":"number","description":"The number of lines to read (defaults to 2000)"}},"required":["filePath"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"write_file", "Writes a file to the local filesystem.\n\nUsage:\n- This tool will overwrite the existing file if there is one at the provided path.\n- If this is an existing file, you MUST use the read_file tool first to read the file's contents. This tool will fail if you did not read the file first.\n" +
		"- ALWAYS prefer editing existing files in the codebase. NEVER write new files unless explicitly required.\n- NEVER proactively create documentation files (*.md) or README files. Only create documentation files if explicitly requested by the User.",
		`{"type":"object","properties":{"content":{"type":"string","description":"The content to write to the file"},"filePath":{"type":"string","description":"The absolute path to the file to write (must be absolute, not relative)"}},"required":["content","filePath"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"edit_file", "Performs exact string replacements in files.\n\nUsage:\n- You must use your read_file tool at least once in the conversation before editing. This tool will error if you attempt an edit without reading the file.\n" +
		"- When editing text from read_file tool output, ensure you preserve the exact indentation (tabs/spaces) as it appears AFTER the line number prefix. Never include any part of the line number prefix in the oldString or newString.\n" +
		"- The edit will FAIL if oldString is not found in the file, or if oldString is found multiple times in the file. Either provide a larger string with more surrounding context to make it unique or use replaceAll to change every instance of oldString.\n" +
		"- Use replaceAll for replacing and renaming strings across the file.",
		`{"type":"object","properties":{"filePath":{"type":"string","description":"The absolute path to the file to modify"},"oldString":{"type":"string","description":"The text to replace"},"newString":{"type":"string","description":"The text to replace it with (must be different from oldString)"},"replaceAll":{"type":"boolean","description":"Replace all occurrences of oldString (default false)"}},"required":["filePath","oldString","newString"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"list_dir", "Lists files and directories in a given path. The path parameter must be an absolute path, not a relative path. You can optionally provide an array of glob patterns to ignore with the ignore parameter. You should generally prefer the glob and grep tools, if you know which directories to search.",
		`{"type":"object","properties":{"path":{"type":"string","description":"The absolute path to the directory to list (must be absolute, not relative)"},"ignore":{"type":"array","items":{"type":"string"},"description":"List of glob patterns to ignore"}},"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"glob", "- Fast file pattern matching tool that works with any codebase size\n- Supports glob patterns like \"**/*.js\" or \"src/**/*.ts\"\n- Returns matching file paths sorted by modification time\n- Use this tool when you need to find files by name patterns\n" +
		"- When you are doing an open ended search that may require multiple rounds of globbing and grepping, use the task tool instead\n- You have the capability to call multiple tools in a single response. It is always better to speculatively perform multiple searches as a batch that are potentially useful.",
		`{"type":"object","properties":{"pattern":{"type":"string","description":"The glob pattern to match files against"},"path":{"type":"string","description":"The directory to search in. If not specified, the current working directory will be used. IMPORTANT: Omit this field to use the default directory. Must be a valid directory path if provided."}},"required":["pattern"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"grep", "- Fast content search tool that works with any codebase size\n- Searches file contents using regular expressions\n- Supports full regex syntax (eg. \"log.*Error\", \"function\\s+\\w+\", etc.)\n- Filter files by pattern with the include parameter (eg. \"*.js\", \"*.{ts,tsx}\")\n" +
		"- Returns file paths with at least one match sorted by modification time\n- Use this tool when you need to find files containing specific patterns\n- If you need to identify/count the number of matches within files, use the bash tool with `rg` (ripgrep) directly. Do NOT use `grep`.",
		`{"type":"object","properties":{"pattern":{"type":"string","description":"The regex pattern to search for in file contents"},"path":{"type":"string","description":"The directory to search in. Defaults to the current working directory."},"include":{"type":"string","description":"File pattern to include in the search (e.g. \"*.js\", \"*.{ts,tsx}\")"}},"required":["pattern"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"web_fetch", "- Fetches content from a specified URL\n- Takes a URL and optional format as input\n- Fetches the URL content, converts to requested format (markdown by default)\n- Returns the content in the specified format\n- Use this tool when you need to retrieve and analyze web content\n\n" +
		"Usage notes:\n- The URL must be a fully-formed valid URL\n- HTTP URLs will be automatically upgraded to HTTPS\n- This tool is read-only and does not modify any files\n- Results may be summarized if the content is very large",
		`{"type":"object","properties":{"url":{"type":"string","description":"The URL to fetch content from"},"format":{"type":"string","enum":["text","markdown","html"],"description":"The format to return the content in (text, markdown, or html)"},"timeout":{"type":"number","description":"Optional timeout in seconds (max 120)"}},"required":["url","format"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"todo_write", "Use this tool to create and manage a structured task list for your current coding session. This helps you track progress, organize complex tasks, and demonstrate thoroughness to the user.\n\n" +
		"When to use this tool: complex multi-step tasks (3 or more distinct steps), non-trivial tasks that require careful planning, when the user provides multiple tasks, after receiving new instructions, after completing a task (mark it complete and add any follow-up tasks).\n\n" +
		"Task states: pending, in_progress (limit to ONE task at a time), completed, cancelled. Mark tasks complete IMMEDIATELY after finishing them; do not batch up multiple tasks before marking them as completed.",
		`{"type":"object","properties":{"todos":{"type":"array","items":{"type":"object","properties":{"content":{"type":"string","minLength":1,"description":"Brief description of the task"},"status":{"type":"string","enum":["pending","in_progress","completed","cancelled"],"description":"Current status of the task"},"priority":{"type":"string","enum":["high","medium","low"],"description":"Priority level of the task"},"id":{"type":"string","description":"Unique identifier for the todo item"}},"required":["content","status","priority","id"],"additionalProperties":false},"description":"The updated todo list"}},"required":["todos"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"task", "Launch a new agent to handle complex, multi-step tasks autonomously.\n\nAvailable agent types and the tools they have access to:\n- general: General-purpose agent for researching complex questions, searching for code, and executing multi-step tasks. (Tools: *)\n\n" +
		"When NOT to use the task tool:\n- If you want to read a specific file path, use the read_file or glob tool instead, to find the match more quickly\n- If you are searching for a specific class definition like \"class Foo\", use the glob tool instead\n\n" +
		"Usage notes:\n1. Launch multiple agents concurrently whenever possible, to maximize performance\n2. When the agent is done, it will return a single message back to you. The result returned by the agent is not visible to the user.\n3. Each agent invocation is stateless.",
		`{"type":"object","properties":{"description":{"type":"string","description":"A short (3-5 words) description of the task"},"prompt":{"type":"string","description":"The task for the agent to perform"},"subagent_type":{"type":"string","description":"The type of specialized agent to use for this task"}},"required":["description","prompt","subagent_type"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"search_symbols", "Searches the workspace's language server index for symbols (functions, types, methods, constants, variables) whose names match a query, and returns each with its kind, container and location (file, line, column). Faster and more precise than grep for definitions; use grep for uses in comments and strings.",
		`{"type":"object","properties":{"query":{"type":"string","description":"The symbol name or a fuzzy prefix of it"},"kind":{"type":"string","enum":["function","method","type","constant","variable","field","any"],"description":"Restrict the results to one kind of symbol"},"limit":{"type":"integer","minimum":1,"maximum":200,"description":"The most results to return (default 50)"}},"required":["query"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
	{"ask_user", "Asks the user a question when you need a decision you cannot make from the code, the task or the project's notes: a choice between designs with different trade-offs, a missing credential, or a destructive operation. Offer the options you see, with the one you recommend first. Do not ask for permission to do what the task already asks for.",
		`{"type":"object","properties":{"question":{"type":"string","description":"The question, in one or two sentences"},"options":{"type":"array","items":{"type":"string"},"maxItems":4,"description":"The answers you offer, the recommended one first"}},"required":["question"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`},
}

// agentRules opens the system prompt, as coding agents' do.
const agentRules = `You are an interactive CLI tool that helps users with software engineering tasks. Use the instructions below and the tools available to you to assist the user.

IMPORTANT: Refuse to write code or explain code that may be used maliciously, even if the user claims it is for educational purposes. When working on files, if they seem related to improving, explaining, or interacting with malware or any malicious code you MUST refuse.
IMPORTANT: You must NEVER generate or guess URLs for the user unless you are confident that the URLs are for helping the user with programming.

# Tone and style
You should be concise, direct, and to the point. When you run a non-trivial bash command, you should explain what the command does and why you are running it, to make sure the user understands what you are doing (this is especially important when you are running a command that will make changes to the user's system).
Remember that your output will be displayed on a command line interface. Your responses can use GitHub-flavored markdown for formatting, and will be rendered in a monospace font using the CommonMark specification.
Output text to communicate with the user; all text you output outside of tool use is displayed to the user. Only use tools to complete tasks. Never use tools like bash or code comments as means to communicate with the user during the session.
IMPORTANT: You should minimize output tokens as much as possible while maintaining helpfulness, quality, and accuracy. Only address the specific query or task at hand, avoiding tangential information unless absolutely critical for completing the request.

# Proactiveness
You are allowed to be proactive, but only when the user asks you to do something. You should strive to strike a balance between doing the right thing when asked, including taking actions and follow-up actions, and not surprising the user with actions you take without asking.

# Following conventions
When making changes to files, first understand the file's code conventions. Mimic code style, use existing libraries and utilities, and follow existing patterns.
- NEVER assume that a given library is available, even if it is well known. Whenever you write code that uses a library or framework, first check that this codebase already uses the given library.
- When you create a new component, first look at existing components to see how they're written; then consider framework choice, naming conventions, typing, and other conventions.
- Always follow security best practices. Never introduce code that exposes or logs secrets and keys. Never commit secrets or keys to the repository.

# Doing tasks
The user will primarily request you perform software engineering tasks. This includes solving bugs, adding new functionality, refactoring code, explaining code, and more. For these tasks the following steps are recommended:
- Use the available search tools to understand the codebase and the user's query. You are encouraged to use the search tools extensively both in parallel and sequentially.
- Implement the solution using all tools available to you
- Verify the solution if possible with tests. NEVER assume specific test framework or test script. Check the README or search codebase to determine the testing approach.
- VERY IMPORTANT: When you have completed a task, you MUST run the lint and typecheck commands if they were provided to you to ensure your code is correct.
NEVER commit changes unless the user explicitly asks you to.

# Tool usage policy
- When doing file search, prefer to use the task tool in order to reduce context usage.
- You have the capability to call multiple tools in a single response. When multiple independent pieces of information are requested, batch your tool calls together for optimal performance.

<env>
Working directory: /home/dev/go/src
Is directory a git repo: yes
Platform: linux
Today's date: Tue Mar 03 2026
</env>`

// What a call brings that is new is counted once: the model's answer is new
// as the answer, and the client resending it as a message in the next
// request is not new again (it counted twice, ~5 % of the bytes called new
// in an agent conversation, which flattered every ratio over them); the
// client's own new messages are, and what the previous request held is not.
func TestNewItemsCountTheModelsMessagesOnce(t *testing.T) {
	system, user, assistant, result := `{"role":"system","content":"be brief"}`, `{"role":"user","content":"read a.go"}`,
		`{"role":"assistant","tool_calls":[{"id":"c1"}]}`, `{"role":"tool","tool_call_id":"c1","content":"package a"}`
	set := func(items ...string) map[string]bool {
		m := map[string]bool{}
		for _, it := range items {
			m[it] = true
		}
		return m
	}
	got := newItems(set(system, user, assistant, result), set(system, user), set(assistant))
	if len(got) != 1 || got[0] != result {
		t.Errorf("new in the second call: %q, want only the tool's result", got)
	}
	if got := newItems(set(system, user), nil, set()); len(got) != 2 {
		t.Errorf("new in the first call: %q, want the system prompt and the user's message", got)
	}
}
