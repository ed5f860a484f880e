package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
)

// Two instances on one PostgreSQL database behind a load balancer: a tool's
// result sent alone — a Responses function_call_output under
// previous_response_id, or the tool message of an X-Session-Id client that
// sends only its new messages — reaching the other instance before the
// first one's recorder committed the call that made it (within
// RECORDER_LINGER: a local tool answers in milliseconds) reached Qwen
// without its tool's name, read from that call's record only. The session,
// in the database from the end of each turn, now carries the names.
func TestAToolResultOnAnotherInstanceKeepsItsToolsName(t *testing.T) {
	a := startOn(t, "postgres", func(c *config.Config) { c.RecorderLinger = time.Hour }) // its calls stay queued
	b := startOn(t, "postgres", func(c *config.Config) { c.DatabaseURL, c.QwenBaseURL = a.dbURL, a.sim.URL })
	const ask = `use get_weather with {\"city\": \"Oslo\"}`

	t.Run("previous_response_id", func(t *testing.T) {
		tools := `"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]`
		resp := postJSON(t, a, "/v1/responses", `{"model":"qwen3-max",`+tools+`,"input":"`+ask+`"}`, nil)
		var first struct {
			ID     string
			Output []struct {
				Type   string
				CallID string `json:"call_id"`
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&first); err != nil || resp.StatusCode != http.StatusOK || len(first.Output) == 0 {
			t.Fatalf("first answer: %d %v %+v", resp.StatusCode, err, first)
		}
		callID := ""
		for _, it := range first.Output {
			if it.Type == "function_call" {
				callID = it.CallID
			}
		}
		resp = postJSON(t, b, "/v1/responses", `{"model":"qwen3-max",`+tools+`,"previous_response_id":"`+first.ID+
			`","input":[{"type":"function_call_output","call_id":"`+callID+`","output":"sunny"}]}`, nil)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `Thanks: get_weather said \"sunny\".`) {
			t.Fatalf("the result reached Qwen without its tool's name: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("X-Session-Id", func(t *testing.T) {
		tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
		header := map[string]string{"X-Session-Id": "agent-on-two-instances"}
		resp := postJSON(t, a, "/v1/chat/completions", `{"model":"qwen3-max",`+tools+`,"messages":[{"role":"user","content":"`+ask+`"}]}`, header)
		var first struct {
			Choices []struct {
				Message struct {
					ToolCalls []struct{ ID string } `json:"tool_calls"`
				}
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&first); err != nil || resp.StatusCode != http.StatusOK ||
			len(first.Choices) != 1 || len(first.Choices[0].Message.ToolCalls) != 1 {
			t.Fatalf("first answer: %d %v %+v", resp.StatusCode, err, first)
		}
		resp = postJSON(t, b, "/v1/chat/completions", `{"model":"qwen3-max",`+tools+`,"messages":[{"role":"tool","tool_call_id":"`+
			first.Choices[0].Message.ToolCalls[0].ID+`","content":"sunny"}]}`, header)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `Thanks: get_weather said \"sunny\".`) {
			t.Fatalf("the result reached Qwen without its tool's name: %d %s", resp.StatusCode, body)
		}
	})
}
