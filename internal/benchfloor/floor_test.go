package benchfloor

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/qwensim"
)

// The floor's byte scanner must answer what a decoding proxy would: the
// simulator's whole text, valid JSON, usage counted, and an id of its own
// for every answer, as long as the proxy's (so that a chunk of each is as
// many bytes), and the reasoning a guest's message asks for apart from the
// answer, as reasoning_content (the proxy's way).
func TestFloorAnswers(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{AnswerWords: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	srv := httptest.NewServer(&Floor{Upstream: sim.URL, Client: http.DefaultClient})
	defer srv.Close()

	post := func(stream bool) *http.Response {
		body := `{"model":"qwen3-max","stream":` + map[bool]string{true: "true", false: "false"}[stream] +
			`,"messages":[{"role":"user","content":"say \"hi\"\n"}]}`
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
		return resp
	}

	resp := post(false)
	var answer struct {
		ID      string `json:"id"`
		Choices []struct {
			Message struct {
				Content          string
				ReasoningContent string `json:"reasoning_content"`
			}
		}
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			TotalTokens      int `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("non-streaming answer is not JSON: %v", err)
	}
	resp.Body.Close()
	if u := answer.Usage; u.PromptTokens <= 0 || u.CompletionTokens < 50 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v: want Qwen's last counts, prompt and completion both counted", u)
	}
	text := answer.Choices[0].Message.Content
	if reasoning := answer.Choices[0].Message.ReasoningContent; !strings.HasPrefix(reasoning, "Considering") || strings.Contains(text, "Considering") {
		t.Errorf("reasoning %q, answer %q: want the think phase apart from the answer", reasoning, text)
	}
	if n := len(strings.Fields(text)); n < 50 {
		t.Errorf("answer has %d words, want at least 50: %q", n, text)
	}

	proxyID := "chatcmpl-" + qp.NewID()
	if !strings.HasPrefix(answer.ID, "chatcmpl-") || len(answer.ID) != len(proxyID) {
		t.Errorf("answer id %q: want chatcmpl- and a UUID, as long as the proxy's %q", answer.ID, proxyID)
	}

	resp = post(true)
	defer resp.Body.Close()
	var streamed, thought strings.Builder
	ids := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var chunk struct {
			ID      string `json:"id"`
			Choices []struct {
				Delta struct {
					Content          string
					ReasoningContent string `json:"reasoning_content"`
				}
			}
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			t.Fatalf("chunk %q is not JSON: %v", data, err)
		}
		streamed.WriteString(chunk.Choices[0].Delta.Content)
		thought.WriteString(chunk.Choices[0].Delta.ReasoningContent)
		ids[chunk.ID] = true
	}
	if len(ids) != 1 || ids[answer.ID] || ids[""] {
		t.Errorf("stream's chunk ids %v: want one id, not the first answer's %q", ids, answer.ID)
	}
	if got := len(strings.Fields(streamed.String())); got < 50 {
		t.Errorf("streamed %d words, want at least 50", got)
	}
	if !strings.HasPrefix(thought.String(), "Considering") || strings.Contains(streamed.String(), "Considering") {
		t.Errorf("streamed reasoning %q, answer %q: want the think phase apart from the answer", thought.String(), streamed.String())
	}
}

func TestStringField(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"content": "a\"b", "x": 1}`, `a\"b`},
		{`{"content":"x\\"}`, `x\\`},
		{`{"content" : ""}`, ``},
	} {
		got, _, ok := stringField([]byte(c.in), []byte(`"content"`))
		if !ok || string(got) != c.want {
			t.Errorf("stringField(%s) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	if _, _, ok := stringField([]byte(`{"content": 3}`), []byte(`"content"`)); ok {
		t.Error("a number read as a string")
	}
	if n, rest, ok := numberField([]byte(`{"input_tokens": 42, "output_tokens": 7}`), []byte(`"input_tokens"`)); !ok || string(n) != "42" || string(rest) != `, "output_tokens": 7}` {
		t.Errorf("numberField = %q, %q, %v", n, rest, ok)
	}
}
