// Package benchfloor is the floor of the benchmarks: the cheapest Go proxy
// doing qwenproxy's upstream exchange (new chat, streamed completion, answer
// in OpenAI form), written the plain way, with no recording, sessions,
// validation or retries, reading the upstream stream with a byte scanner (no
// JSON decoding of events). No proxy can do less; qwenproxy's costs are
// measured as ratios to its (cmd/qwenbench, BenchmarkProxyOnly).
package benchfloor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"qwenproxy/internal/qwen"
)

// Floor serves POST /v1/chat/completions (any path) against a Qwen
// (simulator) at Upstream, with the credentials qwenbench gives qwenproxy
// (QWEN_TOKEN=bench, QWEN_COOKIES=bench=1: guest mode).
//
// Its upstream requests are the proxy's, header for header and field for
// field (TestFloorSpeaksTheProxysWire): what chat.qwen.ai wants of a 2026
// web client (qwen-2026.md §1.6, §2) — the browser's headers, a fresh
// x-request-id, timezone and Referer, the version 2.1 completion body —
// written from templates, the cheapest way to send them. As a guest it asks
// what the guest web client asks (qwen-2026.md §1.2): from its one page,
// /c/guest, with thinking left to Qwen, so the answer it reads is the
// proxy's, reasoning first.
type Floor struct {
	Upstream string
	Client   *http.Client

	once  sync.Once
	fixed http.Header // the headers every request carries alike
}

func (f *Floor) post(path, page string, body []byte) (*http.Response, error) {
	f.once.Do(func() { f.fixed = qwen.WebHeaders(f.Upstream) })
	req, _ := http.NewRequest(http.MethodPost, f.Upstream+path, bytes.NewReader(body))
	h := make(http.Header, len(f.fixed)+6)
	for k, v := range f.fixed {
		h[k] = v
	}
	h["Content-Type"] = []string{"application/json"}
	h["Cookie"] = []string{"bench=1"}
	h["Bx-Umidtoken"] = []string{"bench"}
	h["X-Request-Id"] = []string{qwen.NewUUID()}
	h["Timezone"] = []string{qwen.BrowserTimezone(time.Now())}
	h["Referer"] = []string{f.Upstream + page}
	req.Header = h
	return f.Client.Do(req)
}

// ServeHTTP answers one chat completion, streamed or whole.
func (f *Floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Model    string `json:"model"`
		Stream   bool   `json:"stream"`
		Messages []struct {
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Messages) == 0 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	model, _ := json.Marshal(in.Model)
	now := time.Now()
	millis, secs := strconv.FormatInt(now.UnixMilli(), 10), strconv.FormatInt(now.Unix(), 10)
	resp, err := f.post("/api/v2/chats/new", "/c/guest", []byte(`{"chatId":"","models":[`+string(model)+`],"project_id":"","timestamp":`+millis+
		`,"chat_type":"t2t","chat_mode":"guest"}`))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	chatID, _, ok := stringField(b, []byte(`"id"`))
	if err != nil || !ok {
		http.Error(w, "bad chat", http.StatusBadGateway)
		return
	}
	msg, _ := json.Marshal(in.Messages[len(in.Messages)-1].Content)
	id := string(chatID)
	resp, err = f.post("/api/v2/chat/completions?chat_id="+id, "/c/guest", []byte(`{"stream":true,"version":"2.1","incremental_output":true,`+
		`"chat_id":"`+id+`","chatId":"`+id+`","chat_mode":"guest","model":`+string(model)+`,"parent_id":null,"parentId":null,`+
		`"messages":[{"id":null,"fid":"`+qwen.NewUUID()+`","parentId":null,"childrenIds":["`+qwen.NewUUID()+`"],"role":"user",`+
		`"content":`+string(msg)+`,"user_action":"chat","files":[],"timestamp":`+secs+`,"models":[`+string(model)+`],"model":"",`+
		`"chat_type":"t2t","feature_config":{"thinking_enabled":true,"output_schema":"phase","research_mode":"normal",`+
		`"auto_thinking":true,"thinking_mode":"Auto","thinking_format":"summary","auto_search":false},`+
		`"extra":{"meta":{"subChatType":"t2t"}},"sub_chat_type":"t2t","parent_id":null}],"timestamp":`+secs+`}`))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()

	// Every answer has its own id, as OpenAI's do (and the proxy's: the
	// same length, so that the two write the same bytes a chunk).
	answerID := "chatcmpl-" + qwen.NewUUID()
	prefix := []byte(`data: {"id":"` + answerID + `","object":"chat.completion.chunk","created":` + secs + `,"model":` + string(model) + `,"choices":[`)
	flusher, _ := w.(http.Flusher)
	if in.Stream {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(append(prefix[:len(prefix):len(prefix)], `{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}`+"\n\n"...))
		flusher.Flush()
	}
	// Content deltas are copied as they come, still JSON-escaped: a
	// concatenation of escaped string bodies is itself one. The think
	// phase's go out as reasoning_content, as the proxy sends them.
	var text, reasoning []byte
	chunk := append([]byte(nil), prefix...)
	var inTok, outTok []byte
	br := bufio.NewReaderSize(resp.Body, 32<<10)
	for {
		line, err := br.ReadSlice('\n')
		if data, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			// One pass over the event: its phase and usage follow its content.
			c, rest, ok := stringField(data, []byte(`"content"`))
			if !ok {
				rest = data
			}
			if ok && len(c) > 0 {
				phase, after, _ := stringField(rest, []byte(`"phase"`))
				if after != nil {
					rest = after
				}
				think := string(phase) == "think"
				switch {
				case in.Stream && think:
					chunk = append(append(append(chunk[:len(prefix)], `{"index":0,"delta":{"reasoning_content":"`...), c...), `"},"finish_reason":null}]}`+"\n\n"...)
					w.Write(chunk)
				case in.Stream:
					chunk = append(append(append(chunk[:len(prefix)], `{"index":0,"delta":{"content":"`...), c...), `"},"finish_reason":null}]}`+"\n\n"...)
					w.Write(chunk)
				case think:
					reasoning = append(reasoning, c...)
				default:
					text = append(text, c...)
				}
			}
			if n, after, ok := numberField(rest, []byte(`"input_tokens"`)); ok {
				inTok, rest = append(inTok[:0], n...), after
			}
			if n, _, ok := numberField(rest, []byte(`"output_tokens"`)); ok {
				outTok = append(outTok[:0], n...)
			}
		}
		if in.Stream && br.Buffered() == 0 {
			flusher.Flush() // nothing more waiting: send what we have
		}
		if err != nil && err != bufio.ErrBufferFull {
			break
		}
	}
	if in.Stream {
		w.Write(append(chunk[:len(prefix)], `{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n"...))
		return
	}
	if len(inTok) == 0 {
		inTok = []byte("0")
	}
	if len(outTok) == 0 {
		outTok = []byte("0")
	}
	inN, _ := strconv.Atoi(string(inTok))
	outN, _ := strconv.Atoi(string(outTok))
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"id":"` + answerID + `","object":"chat.completion","created":` + secs + `,"model":` + string(model) +
		`,"choices":[{"index":0,"message":{"role":"assistant","content":"` + string(text) + `","reasoning_content":"` + string(reasoning) + `"},"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":` + string(inTok) + `,"completion_tokens":` + string(outTok) + `,"total_tokens":` + strconv.Itoa(inN+outN) + `}}` + "\n"))
}

// stringField finds key (quoted) in a JSON text and returns its string
// value's bytes, still escaped, and the text after the value: a byte scan,
// no decoding.
func stringField(data, key []byte) (value, rest []byte, ok bool) {
	v, ok := afterKey(data, key)
	if !ok || len(v) == 0 || v[0] != '"' {
		return nil, nil, false
	}
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			return v[1:i], v[i+1:], true
		}
	}
	return nil, nil, false
}

// numberField returns the digits of key's integer value and the text after
// them.
func numberField(data, key []byte) (digits, rest []byte, ok bool) {
	v, ok := afterKey(data, key)
	i := 0
	for ok && i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	return v[:i], v[i:], i > 0
}

// afterKey returns the text after key's colon and spaces.
func afterKey(data, key []byte) ([]byte, bool) {
	i := bytes.Index(data, key)
	if i < 0 {
		return nil, false
	}
	v := bytes.TrimLeft(data[i+len(key):], " ")
	v, ok := bytes.CutPrefix(v, []byte(":"))
	return bytes.TrimLeft(v, " "), ok
}
