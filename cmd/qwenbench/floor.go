package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// runFloor serves the floor: the same upstream exchange as qwenproxy (new
// chat, streamed completion, answer in OpenAI form), written the plain way,
// with no recording, sessions, validation or retries. No proxy can do less.
func runFloor(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	upstream := fs.String("upstream", "", "Qwen (simulator) base URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("listening", ln.Addr().String())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 512, 256
	f := &floor{upstream: *upstream, client: &http.Client{Transport: tr}}
	return http.Serve(ln, http.HandlerFunc(f.chat))
}

type floor struct {
	upstream string
	client   *http.Client
	seq      atomic.Int64
}

func (f *floor) post(path string, body any) (*http.Response, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, f.upstream+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("bx-umidtoken", "bench")
	req.Header.Set("Cookie", "bench=1")
	// What Qwen's 2026 firewall and API want of every call (qwen-2026.md §1).
	req.Header.Set("User-Agent", "Mozilla/5.0 qwenbench-floor")
	req.Header.Set("source", "web")
	req.Header.Set("Version", "0.3.11")
	req.Header.Set("x-request-id", strconv.FormatInt(f.seq.Add(1), 10))
	return f.client.Do(req)
}

func (f *floor) chat(w http.ResponseWriter, r *http.Request) {
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
	resp, err := f.post("/api/v2/chats/new", map[string]any{"models": []string{in.Model}, "chat_mode": "guest"})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	var chat struct{ Data struct{ ID string } }
	err = json.NewDecoder(resp.Body).Decode(&chat)
	resp.Body.Close()
	if err != nil {
		http.Error(w, "bad chat", http.StatusBadGateway)
		return
	}
	msg := in.Messages[len(in.Messages)-1].Content
	resp, err = f.post("/api/v2/chat/completions?chat_id="+chat.Data.ID, map[string]any{
		"stream": true, "chat_id": chat.Data.ID, "chat_mode": "guest", "model": in.Model, "parent_id": nil,
		"messages": []map[string]any{{"role": "user", "content": msg, "parent_id": nil}},
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()

	id := "chatcmpl-floor"
	created := strconv.FormatInt(time.Now().Unix(), 10)
	prefix := `data: {"id":"` + id + `","object":"chat.completion.chunk","created":` + created + `,"model":"` + in.Model + `","choices":[`
	flusher, _ := w.(http.Flusher)
	if in.Stream {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, prefix+`{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`+"\n\n")
		flusher.Flush()
	}
	var text bytes.Buffer
	var usage struct{ In, Out int }
	br := bufio.NewReaderSize(resp.Body, 32<<10)
	for {
		line, err := br.ReadBytes('\n')
		if data, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("data:")); ok {
			var ev struct {
				Choices []struct {
					Delta struct{ Content, Status string }
				}
				Usage *struct {
					In  int `json:"input_tokens"`
					Out int `json:"output_tokens"`
				}
			}
			if json.Unmarshal(data, &ev) == nil && len(ev.Choices) > 0 {
				if ev.Usage != nil {
					usage.In, usage.Out = ev.Usage.In, ev.Usage.Out
				}
				if c := ev.Choices[0].Delta.Content; c != "" {
					if in.Stream {
						q, _ := json.Marshal(c)
						io.WriteString(w, prefix+`{"index":0,"delta":{"content":`+string(q)+`},"finish_reason":null}]}`+"\n\n")
					} else {
						text.WriteString(c)
					}
				}
			}
		}
		if in.Stream && br.Buffered() == 0 {
			flusher.Flush() // nothing more waiting: send what we have
		}
		if err != nil {
			break
		}
	}
	if in.Stream {
		io.WriteString(w, prefix+`{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": id, "object": "chat.completion", "created": time.Now().Unix(), "model": in.Model,
		"choices": []map[string]any{{"index": 0, "message": map[string]any{"role": "assistant", "content": text.String()}, "finish_reason": "stop"}},
		"usage":   map[string]int{"prompt_tokens": usage.In, "completion_tokens": usage.Out, "total_tokens": usage.In + usage.Out},
	})
}
