package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/redact"
)

// hugeAnswerText is the text of each of the huge answer's events: words,
// as a model writes them, about 1 MiB of them (an event's bound is 4 MiB),
// and then tail.
func hugeAnswerText(tail string) string { return strings.Repeat("word ", (1<<20-len(tail))/5) + tail }

// hugeAnswerUpstream answers every completion with first, then events
// answers of hugeAnswerText(tail) each, as a misbehaving upstream would (Qwen's events carry
// a token each), and the model list and new chats from recordings. Each
// event is encoded once: the upstream's own allocations do not grow with the
// answer, so that what the process allocates during a call is the proxy's.
func hugeAnswerUpstream(t *testing.T, events int, first, tail string) *httptest.Server {
	t.Helper()
	models, err := os.ReadFile("../../testdata/qwen/models.json")
	if err != nil {
		t.Fatal(err)
	}
	newChat, err := os.ReadFile("../../testdata/qwen/chats-new.json")
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	recordedEvents := bytes.Split(recorded, []byte("\n\n"))
	delta := func(text string) []byte {
		quoted, _ := json.Marshal(text)
		return []byte(`data: {"choices": [{"delta": {"role": "assistant", "content": ` + string(quoted) +
			`, "phase": "answer", "status": "typing"}}], "usage": {"input_tokens": 33, "output_tokens": 1, "total_tokens": 34}}` + "\n\n")
	}
	big, opening := delta(hugeAnswerText(tail)), delta(first)
	created, finished := append(recordedEvents[0], "\n\n"...), append(recordedEvents[len(recordedEvents)-2], "\n\n"...)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch {
		case strings.Contains(r.URL.Path, "/models"):
			w.Header().Set("Content-Type", "application/json")
			w.Write(models)
		case strings.HasSuffix(r.URL.Path, "/chats/new"):
			w.Header().Set("Content-Type", "application/json")
			w.Write(newChat)
		default:
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(created)
			w.Write(opening)
			for range events {
				if _, err := w.Write(big); err != nil {
					return
				}
			}
			w.Write(finished)
		}
	}))
	t.Cleanup(upstream.Close)
	return upstream
}

// A call with a huge answer allocates a bounded multiple of its text: the
// answer as read, the client's copy, and the record's bodies, masked within
// RECORD_MAX_BODY_BYTES and a margin. Until 2026-12-07 the stream kept a
// copy of every delta's text beside the answer's, grown by a quarter at a
// time (five times the text allocated), and a record's body was masked
// whole, in passes that each copied it, before it was cut. Allocations are
// counted (runtime.MemStats.TotalAlloc), not sampled: the bound is the same
// on every run. Until 2026-12-07 too, the answer's text and the client's
// were each one strings.Builder grown a quarter at a time (five times each
// allocated); they are kept in pieces now (translate.Text), joined once,
// and the client's answer was copied whole to mask a URL's password in it,
// not only as far as its record keeps it.
func TestHugeAnswerAllocatesABoundedMultipleOfItsText(t *testing.T) {
	const events = 32 // 32 MiB of text
	const password = "Zq8-sw0rd!x"
	const token = "test-token" // the account's (start): masked in every record
	for _, answer := range []struct {
		name, first, tail string
		// whole and streamed bound the bytes allocated a byte of the
		// answer's text.
		whole, streamed float64
	}{
		{"plain", "Here it is: ", "", 4.4, 4.4}, // 3.7 measured; 13.2 before
		// A URL's password in the answer is masked in every body; the
		// account's token, written over and over where the record's
		// bodies are cut (near 1 MiB into the text), is masked whole,
		// whichever of its bytes the cut comes in.
		{"with secrets", "Connect with postgres://app:" + password + "@db.internal/app. ", strings.Repeat(token+" ", 16<<10/11), 4.9, 4.9}, // 4.1 measured; 14.5 before
	} {
		text := hugeAnswerText(answer.tail)
		answerBytes, words := len(answer.first)+events*len(text), events*strings.Count(text, "word ")
		upstream := hugeAnswerUpstream(t, events, answer.first, answer.tail)
		e := startWith(t, qwensim.Options{}, func(c *config.Config) {
			c.QwenBaseURL, c.RecordMaxBodyBytes = upstream.URL, 1<<20
		})
		for _, stream := range []bool{false, true} {
			name, bound := answer.name+"/whole", answer.whole
			if stream {
				name, bound = answer.name+"/streamed", answer.streamed
			}
			t.Run(name, func(t *testing.T) {
				body := `{"model":"qwen3-max","messages":[{"role":"user","content":"write a lot"}],"stream":` + strconv.FormatBool(stream) + `}`
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				resp := postJSON(t, e, "/v1/chat/completions", body, nil)
				got := countWords(t, resp.Body)
				resp.Body.Close()
				e.sync()
				runtime.ReadMemStats(&after)
				if resp.StatusCode != 200 || got != words {
					t.Fatalf("status %d, %d words of %d", resp.StatusCode, got, words)
				}
				perByte := float64(after.TotalAlloc-before.TotalAlloc) / float64(answerBytes)
				t.Logf("%.2f bytes allocated a byte of the answer's text (%d MiB)", perByte, answerBytes>>20)
				if perByte > bound {
					t.Errorf("%.2f bytes allocated a byte of the answer's text, want at most %.1f", perByte, bound)
				}
				r := e.lastRow()
				for _, b := range []string{r.OpenAIResponse.String, r.QwenResponse.String} {
					var stored struct {
						Truncated     bool   `json:"_truncated"`
						OriginalBytes int    `json:"_original_bytes"`
						Head          string `json:"_head"`
					}
					if err := json.Unmarshal([]byte(b), &stored); err != nil || !stored.Truncated ||
						stored.OriginalBytes < answerBytes || len(b) > 1<<20 || len(stored.Head) < 1<<19 {
						t.Fatalf("stored answer %.200s (%d bytes, %v)", b, len(b), err)
					}
					head := stored.Head
					if strings.Contains(head, password) || strings.Contains(head, token) || !strings.Contains(head, answer.first[:12]) {
						t.Fatalf("stored answer's head %.200s", head)
					}
					if answer.tail == "" {
						continue
					}
					// The cut came among the tokens (or within a mask of one),
					// and left no beginning of one.
					if last := head[strings.LastIndexByte(head, ' ')+1:]; !strings.HasPrefix(redact.Placeholder, last) {
						t.Fatalf("stored answer's head ends %q", head[len(head)-40:])
					}
					for n := redact.MinCutTail; n < len(token); n++ {
						if strings.HasSuffix(head, token[:n]) {
							t.Fatalf("stored answer's head ends %q", head[len(head)-40:])
						}
					}
				}
			})
		}
	}
}

// countWords reads a response to its end without keeping it, and counts the
// answer's words ("word " each) in it: a word across two reads is matched
// all the same ("word " has no prefix that is also its suffix).
func countWords(t *testing.T, body io.Reader) int {
	t.Helper()
	const word = "word "
	buf := make([]byte, 64<<10)
	n, matched := 0, 0
	for {
		k, err := body.Read(buf)
		for _, c := range buf[:k] {
			switch {
			case c == word[matched]:
				matched++
			case c == word[0]:
				matched = 1
			default:
				matched = 0
			}
			if matched == len(word) {
				n, matched = n+1, 0
			}
		}
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
