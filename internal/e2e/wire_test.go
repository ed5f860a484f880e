package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// health reads /health's credentials object.
func healthCredentials(t *testing.T, e *env) map[string]any {
	t.Helper()
	resp, err := http.Get(e.app.URL() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Credentials map[string]any `json:"credentials"`
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v.Credentials
}

func TestEveryCredentialFormTalksTo2026Qwen(t *testing.T) {
	jwt := strings.TrimPrefix(qwensim.LoginCookie(), "token=")
	cases := []struct {
		name, token, cookies, mode string
		bearer, umid               bool
	}{
		{"a logged-in browser's cookie alone", "", "acw_tc=1; token=" + jwt, "normal", true, false},
		{"cookie and bx-umidtoken", "T2gA", "acw_tc=1; token=" + jwt, "normal", true, true},
		{"a login JWT put into QWEN_TOKEN", jwt, "", "normal", true, false},
		{"guest: bx-umidtoken and cookies", "T2gA", "acw_tc=1", "guest", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, func(c *config.Config) { c.QwenToken, c.QwenCookies, c.QwenWebVersion = tc.token, tc.cookies, "0.3.99" })
			got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.SystemMessage("Be brief."), openai.UserMessage("hello 2026")))
			if err != nil || got.Choices[0].Message.Content != `You said: "hello 2026". System prompt: "Be brief.".` {
				t.Fatalf("%+v %v", got, err)
			}
			for _, c := range e.sim.Calls() {
				h := c.Header
				if (h.Get("Authorization") != "") != tc.bearer || c.HasToken != tc.umid || h.Get("Version") != "0.3.99" || h.Get("source") != "web" || h.Get("x-request-id") == "" {
					t.Errorf("%s headers %v", c.Endpoint, h)
				}
				if c.Endpoint != qwensim.EndpointModels && !strings.Contains(string(c.Body), `"chat_mode":"`+tc.mode+`"`) {
					t.Errorf("%s body %s", c.Endpoint, c.Body)
				}
			}
			creds := healthCredentials(t, e)
			if creds["mode"] != tc.mode || (tc.mode == "normal") != (creds["token_expires_at"] != nil) {
				t.Fatalf("health credentials %v", creds)
			}
		})
	}
}

func TestAThinkingRequiredModelAlwaysThinks(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage("deep question"))
	params.Model = qwensim.ThinkingModel
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Choices []struct {
			Message struct {
				Content          string `json:"content"`
				ReasoningContent string `json:"reasoning_content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal([]byte(got.RawJSON()), &raw); err != nil {
		t.Fatal(err)
	}
	m := raw.Choices[0].Message
	if m.Content != `You said: "deep question".` || !strings.Contains(m.ReasoningContent, "Considering the request: deep question") {
		t.Fatalf("message %+v", m)
	}
	up := upstreamCompletions(t, e.sim)
	fc := messagesOf(up[0])[0]["feature_config"].(map[string]any)
	if fc["thinking_enabled"] != true || fc["thinking_mode"] != "Thinking" {
		t.Fatalf("feature_config %v", fc)
	}
	// Other models keep the client's choice.
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("quick"))); err != nil {
		t.Fatal(err)
	}
	up = upstreamCompletions(t, e.sim)
	if fc := messagesOf(up[1])[0]["feature_config"].(map[string]any); fc["thinking_enabled"] != false {
		t.Fatalf("feature_config %v", fc)
	}
}

// TestThreeTurnsWithASystemPromptAndTools: one Qwen chat, one message per
// request, the system section (with the tools) only where the chat is told.
func TestThreeTurnsWithASystemPromptAndTools(t *testing.T) {
	e := start(t, nil)
	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You help with weather."),
		openai.UserMessage(`use get_weather with {"city": "Oslo"}`)}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), toolParams(msgs...))
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil || len(acc.Choices[0].Message.ToolCalls) != 1 {
		t.Fatalf("first turn %v %+v", err, acc.Choices[0].Message)
	}
	call := acc.Choices[0].Message.ToolCalls[0]
	msgs = append(msgs, acc.Choices[0].Message.ToParam(), openai.ToolMessage("Sunny", call.ID))
	second, err := e.client.Chat.Completions.New(ctxT(t), toolParams(msgs...))
	if err != nil || second.Choices[0].Message.Content != `Thanks: get_weather said "Sunny".` {
		t.Fatalf("second turn %v %+v", err, second)
	}
	msgs = append(msgs, second.Choices[0].Message.ToParam(), openai.UserMessage("What did I ask first?"))
	third, err := e.client.Chat.Completions.New(ctxT(t), toolParams(msgs...))
	if err != nil || !strings.HasPrefix(third.Choices[0].Message.Content, `You said: "What did I ask first?". Earlier you said: "use get_weather with {\"city\": \"Oslo\"}"`) {
		t.Fatalf("third turn %v %+v", err, third)
	}
	up := upstreamCompletions(t, e.sim)
	if len(up) != 3 || e.sim.Chats() != 1 {
		t.Fatalf("%d completions in %d chats", len(up), e.sim.Chats())
	}
	for i, body := range up {
		m := messagesOf(body)
		told := strings.HasPrefix(m[0]["content"].(string), "[System instructions]\nYou help with weather.\n\n# Tools")
		if len(m) != 1 || told != (i == 0) {
			t.Fatalf("upstream turn %d: %v", i+1, m)
		}
	}
}
