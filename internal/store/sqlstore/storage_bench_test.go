package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// conversation replays an agent session the way OpenCode or Cline drive one:
// every call resends a ~20 KB system prompt, 12 tools and every earlier
// turn — the model's tool calls and the tools' results (files, command
// output, 0.3–6 KB) — and adds one; an occasional user message steers.
// newBytes is, per call, what was new in it: the messages not in the
// previous call and the answer (the model's message, which the next call
// resends, counted once: in its answer).
type conversation struct {
	calls    []qp.Exchange
	newBytes []int
}

func agentConversation(rng *rand.Rand, id string, turns int, system, tools string, start time.Time) conversation {
	// Real text, as an agent reads and writes it: slices of this module's
	// Go source and documentation (compressible as such text is).
	text := func(n int) string {
		at := rng.IntN(len(corpus) - n)
		return corpus[at : at+n]
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var c conversation
	history := []string{`{"role":"system","content":` + q(system) + `}`,
		`{"role":"user","content":` + q(text(400)) + `}`}
	fresh := len(history[1])
	at := start
	for turn := range turns {
		req := `{"model":"qwen3-coder-plus","stream":true,"messages":[` + strings.Join(history, ",") + `],"tools":` + tools + `}`
		var answer, message string
		if turn%8 == 7 || turn == turns-1 {
			message = `{"role":"assistant","content":` + q(text(300+rng.IntN(900))) + `}`
		} else {
			call := fmt.Sprintf("call_%s_%d", id, turn)
			message = `{"role":"assistant","content":null,"tool_calls":[{"id":"` + call + `","type":"function","function":{"name":"tool` +
				fmt.Sprint(rng.IntN(12)) + `","arguments":` + q(`{"path":"internal/`+text(30)+`.go"}`) + `}}]}`
		}
		answer = `{"id":"chatcmpl-` + id + fmt.Sprint(turn) + `","object":"chat.completion","created":1764500000,"model":"qwen3-coder-plus",` +
			`"choices":[{"index":0,"message":` + message + `,"finish_reason":"stop"}],"usage":{"prompt_tokens":9000,"completion_tokens":300,"total_tokens":9300}}`
		newMsgs := []string{message}
		if strings.Contains(message, "tool_calls") {
			newMsgs = append(newMsgs, fmt.Sprintf(`{"role":"tool","tool_call_id":"call_%s_%d","content":%s}`, id, turn, q(text(300+rng.IntN(5700)))))
		} else {
			newMsgs = append(newMsgs, `{"role":"user","content":`+q(text(100+rng.IntN(400)))+`}`)
		}
		qwenReq := `{"stream":true,"incremental_output":true,"chat_id":"` + id + `","chat_mode":"normal","model":"qwen3-coder-plus","parent_id":"p` +
			fmt.Sprint(turn) + `","messages":[{"role":"user","content":` + q(text(200)) + `,"user_action":"chat","files":[],"models":["qwen3-coder-plus"],"chat_type":"t2t","feature_config":{"thinking_enabled":false,"output_schema":"phase"}}]}`
		qwenResp := `{"success":true,"data":{"chat_id":"` + id + `","parent_id":"p` + fmt.Sprint(turn) + `","message_id":"m` + fmt.Sprint(turn) +
			`","choices":[{"message":` + message + `}]},"usage":{"input_tokens":9000,"output_tokens":300},"finished":true,"events":120}`
		rid := fmt.Sprintf("%s-%03d", id, turn)
		c.calls = append(c.calls, qp.Exchange{
			Request: qp.Request{RequestID: rid, Timestamp: at, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-coder-plus", Stream: true,
				OpenAIRequest: []byte(req), QwenRequest: []byte(qwenReq)},
			Response: qp.Response{ResponseID: "r" + rid, Timestamp: at.Add(2 * time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
				FinishReason: "stop", PromptTokens: 9000, CompletionTokens: 300, TotalTokens: 9300, Duration: 2 * time.Second,
				OpenAIResponse: []byte(answer), QwenResponse: []byte(qwenResp)},
		})
		c.newBytes = append(c.newBytes, fresh+len(answer))
		history = append(history, newMsgs...)
		fresh = 0
		for _, m := range newMsgs[1:] { // not the model's message: new once, in its answer
			fresh += len(m) + 1
		}
		at = at.Add(30 * time.Second)
	}
	return c
}

// corpus is this module's Go source and Markdown, read once.
var corpus = func() string {
	var b strings.Builder
	root := filepath.Join("..", "..", "..")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".md") {
			if b2, err := os.ReadFile(path); err == nil {
				b.Write(b2)
			}
		}
		return nil
	})
	return b.String()
}()

// agentShape is the system prompt and tools list the conversations share:
// the README as the prompt, tool descriptions from the docs.
func agentShape(rng *rand.Rand) (system, tools string) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil || len(readme) < 20_000 {
		panic(fmt.Sprintf("README.md for the system prompt: %d bytes, %v", len(readme), err))
	}
	var list []string
	for i := range 12 {
		n := 400 + rng.IntN(600)
		at := rng.IntN(len(readme) - n)
		list = append(list, fmt.Sprintf(`{"type":"function","function":{"name":"tool%d","description":%q,"parameters":{"type":"object",`+
			`"properties":{"path":{"type":"string","description":"the file"}},"required":["path"]}}}`, i, readme[at:at+n]))
	}
	return string(readme[:20_000]), "[" + strings.Join(list, ",") + "]"
}

// fileSize checkpoints the WAL into the file and returns the file's size.
func fileSize(t testing.TB, st *sqlstore.Store, path string) int64 {
	t.Helper()
	if _, err := st.DB().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// storageRun replays conversations into a fresh SQLite file, bodies stored
// once (whole=false) or whole as before migration 0008, and returns how much
// the file grew.
func storageRun(t testing.TB, convs []conversation, whole bool) int64 {
	t.Helper()
	path := storetest.URL(t, "sqlite")
	st := storetest.Open(t, path)
	empty := fileSize(t, st, path)
	for _, c := range convs {
		for _, call := range c.calls { // one call per batch: the recorder's worst case
			if whole {
				writeOldFormat(t, st, []qp.Exchange{call})
			} else if err := st.WriteExchanges(context.Background(), []qp.Exchange{call}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return fileSize(t, st, path) - empty
}

type storageResult struct {
	calls                 int
	sent, fresh           int64 // request bytes sent; new bytes (new messages and answers)
	grownOnce, grownWhole int64
}

func measureStorage(t testing.TB, conversations, turns int) storageResult {
	rng := rand.New(rand.NewPCG(7, 8))
	system, tools := agentShape(rng)
	var convs []conversation
	var r storageResult
	for i := range conversations {
		c := agentConversation(rng, fmt.Sprint("c", i), turns, system, tools, time.UnixMilli(1764500000000+int64(i)*3_600_000))
		convs = append(convs, c)
		for j, call := range c.calls {
			r.calls++
			r.sent += int64(len(call.Request.OpenAIRequest))
			r.fresh += int64(c.newBytes[j])
		}
	}
	r.grownOnce = storageRun(t, convs, false)
	r.grownWhole = storageRun(t, convs, true)
	return r
}

// The target, a property of sizes (deterministic, not timed): over
// whole agent conversations the database file grows by at most 1.5× the
// bytes that were new in their calls.
func TestStorageGrowsWithNewBytes(t *testing.T) {
	r := measureStorage(t, 1, 40)
	t.Logf("%d calls: %d KB sent, %d KB new; file grew %d KB stored once (%.2f× new), %d KB whole (%.2f× new)",
		r.calls, r.sent>>10, r.fresh>>10, r.grownOnce>>10, float64(r.grownOnce)/float64(r.fresh), r.grownWhole>>10,
		float64(r.grownWhole)/float64(r.fresh))
	if float64(r.grownOnce) > 1.5*float64(r.fresh) {
		t.Errorf("the file grew %d bytes for %d new bytes: more than 1.5×", r.grownOnce, r.fresh)
	}
	if r.grownOnce*4 > r.grownWhole {
		t.Errorf("stored once %d bytes, whole %d: not 4× smaller", r.grownOnce, r.grownWhole)
	}
}

// Bytes on disk per call and per new byte, bodies stored once against
// stored whole, in the same run:
//
//	go test -run '^$' -bench Storage -benchtime 1x ./internal/store/sqlstore
func BenchmarkStorageAgent(b *testing.B) {
	for _, shape := range []struct{ conversations, turns int }{{1, 40}, {1, 80}, {5, 40}} {
		b.Run(fmt.Sprintf("conversations=%d/turns=%d", shape.conversations, shape.turns), func(b *testing.B) {
			var r storageResult
			for range b.N {
				r = measureStorage(b, shape.conversations, shape.turns)
			}
			b.ReportMetric(float64(r.sent)/float64(r.calls), "sent-B/call")
			b.ReportMetric(float64(r.fresh)/float64(r.calls), "new-B/call")
			b.ReportMetric(float64(r.grownOnce)/float64(r.calls), "disk-B/call")
			b.ReportMetric(float64(r.grownWhole)/float64(r.calls), "whole-disk-B/call")
			b.ReportMetric(float64(r.grownOnce)/float64(r.fresh), "disk/new")
			b.ReportMetric(float64(r.grownWhole)/float64(r.fresh), "whole-disk/new")
			b.ReportMetric(float64(r.grownWhole)/float64(r.grownOnce), "whole÷once")
		})
	}
}

// The conversation's new bytes count each of the model's messages once, in
// its answer: the next call resending it is not new again (it was counted
// twice, which flattered the benchmark's disk/new). What is new in all is
// every answer, and every message of the last request but the system
// prompt and the model's own (each with its comma, but the first).
func TestAgentConversationCountsEachAnswerOnce(t *testing.T) {
	c := agentConversation(rand.New(rand.NewPCG(3, 4)), "n", 12, "be brief", `[]`, time.UnixMilli(1764500000000))
	want := 0
	for _, ex := range c.calls {
		want += len(ex.Response.OpenAIResponse)
	}
	var last struct{ Messages []json.RawMessage }
	if err := json.Unmarshal(c.calls[len(c.calls)-1].Request.OpenAIRequest, &last); err != nil {
		t.Fatal(err)
	}
	for i, m := range last.Messages[1:] {
		if !strings.HasPrefix(string(m), `{"role":"assistant"`) {
			want += len(m) + min(i, 1)
		}
	}
	got := 0
	for _, n := range c.newBytes {
		got += n
	}
	if got != want {
		t.Errorf("new bytes %d, want %d (every answer, and the client's own messages, once)", got, want)
	}
}
