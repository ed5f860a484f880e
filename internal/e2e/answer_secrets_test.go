package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// TestASecretFirstInTheAnswerIsMaskedThroughoutItsRecord: a secret the
// client's body holds only as text (a user asks for a login with a
// password) and the model's answer puts in a tool call's argument named
// like a secret is [REDACTED] wherever the call's record holds it — the
// client's request, the request sent to Qwen, Qwen's answer (its raw tool
// call), the client's answer — and in the first message that names the
// session the call opened, in each client API, streamed or not. Until
// 2026-12-06 only the client's answer had it masked: the values its
// redaction hid were dropped, the rest of the record kept them as sent.
// The client still gets the call with the value it asked for.
func TestASecretFirstInTheAnswerIsMaskedThroughoutItsRecord(t *testing.T) {
	storetest.EachBackend(t, testASecretFirstInTheAnswerIsMaskedThroughoutItsRecord)
}

func testASecretFirstInTheAnswerIsMaskedThroughoutItsRecord(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	schema := `{"type":"object","properties":{"%s":{"type":"string"}}}`
	cases := []struct {
		api, path, field, body string
		header                 map[string]string
	}{
		{"chat", "/v1/chat/completions", "password",
			`{"model":"qwen3-max","stream":%v,"tools":[{"type":"function","function":{"name":"login","parameters":` + schema + `}}],` +
				`"messages":[{"role":"user","content":%s}]}`, nil},
		{"messages", "/v1/messages", "api_key",
			`{"model":"claude-3","max_tokens":200,"stream":%v,"tools":[{"name":"login","input_schema":` + schema + `}],` +
				`"messages":[{"role":"user","content":%s}]}`, map[string]string{"anthropic-version": "2023-06-01"}},
		{"responses", "/v1/responses", "client_secret",
			`{"model":"qwen3-max","stream":%v,"tools":[{"type":"function","name":"login","parameters":` + schema + `}],` +
				`"input":%s}`, nil},
	}
	for _, c := range cases {
		for _, shape := range []struct {
			stream, ascii bool
		}{{false, false}, {true, false}, {false, true}, {true, true}} {
			stream := shape.stream
			name := fmt.Sprintf("%s/stream=%v/ascii=%v", c.api, stream, shape.ascii)
			secret := fmt.Sprintf("hunter2-%s-%v-repro", c.api, stream)
			ask, _ := json.Marshal(fmt.Sprintf(`use login with {"%s": "%s"}`, c.field, secret))
			escaped := secret
			if shape.ascii {
				// Written as Python's json.dumps writes a body: every
				// character past ASCII \u-escaped (until 2026-12-06 so
				// written, the client's request kept it).
				secret = fmt.Sprintf("hünter2-%s-%v-repro", c.api, stream)
				escaped = strings.ReplaceAll(secret, "ü", `\u00fc`)
				ask = []byte(strings.ReplaceAll(fmt.Sprintf("%q", fmt.Sprintf(`use login with {"%s": "%s"}`, c.field, secret)), "ü", `\u00fc`))
			}
			body := fmt.Sprintf(c.body, stream, c.field, ask)
			resp := postJSON(t, e, c.path, body, c.header)
			answer, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(answer), "login") {
				t.Fatalf("%s: %d %s", name, resp.StatusCode, answer)
			}
			if !stream && !strings.Contains(string(answer), secret) {
				t.Errorf("%s: the client's answer lost the argument it asked for: %s", name, answer)
			}
			id := resp.Header.Get("X-Request-Id")
			e.sync()
			rec := send(t, e, http.MethodGet, "/v1/requests/"+id, "", "", nil)
			detail, _ := io.ReadAll(rec.Body)
			var got struct {
				SessionID     string          `json:"session_id"`
				OpenAIRequest json.RawMessage `json:"openai_request"`
				QwenRequest   json.RawMessage `json:"qwen_request"`
			}
			if rec.StatusCode != http.StatusOK || json.Unmarshal(detail, &got) != nil || got.SessionID == "" {
				t.Fatalf("%s: the record: %d %s", name, rec.StatusCode, detail)
			}
			row := e.lastRow()
			if row.RequestID != id {
				t.Fatalf("%s: the last record is %s, not %s", name, row.RequestID, id)
			}
			for part, b := range map[string]string{"openai_request": row.OpenAIRequest.String, "qwen_request": row.QwenRequest.String,
				"openai_response": row.OpenAIResponse.String, "qwen_response": row.QwenResponse.String} {
				if strings.Contains(b, secret) || strings.Contains(b, escaped) {
					t.Errorf("%s: the record's %s holds the answer's secret: %s %s", name, part, around(b, secret), around(b, escaped))
				} else if !strings.Contains(b, "[REDACTED]") {
					t.Errorf("%s: the record's %s does not mark the secret's place: %s", name, part, b)
				}
			}
			if strings.Contains(string(detail), secret) || strings.Contains(string(detail), escaped) {
				t.Errorf("%s: GET /v1/requests/%s shows the secret: %s", name, id, around(string(detail), secret))
			}
			ses := send(t, e, http.MethodGet, "/v1/sessions/"+got.SessionID, "", "", nil)
			sb, _ := io.ReadAll(ses.Body)
			var session struct {
				FirstUserMessage string `json:"first_user_message"`
			}
			if ses.StatusCode != http.StatusOK || json.Unmarshal(sb, &session) != nil {
				t.Fatalf("%s: the session: %d %s", name, ses.StatusCode, sb)
			}
			if strings.Contains(session.FirstUserMessage, secret) || !strings.Contains(session.FirstUserMessage, "use login with") ||
				!strings.Contains(session.FirstUserMessage, "[REDACTED]") {
				t.Errorf("%s: the session's first message: %q", name, session.FirstUserMessage)
			}
		}
	}
}

// TestASecretFirstInAConversationsAnswerIsNotInItsItems: a response
// answered in a conversation adds its items to the conversation from its
// record: a secret its answer's tool call hid, which its input held as
// text, is [REDACTED] in the items listed, the input's and the call's.
func TestASecretFirstInAConversationsAnswerIsNotInItsItems(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, backend string) {
		const secret = "hunter2-conversation-repro"
		e := startOn(t, backend, nil)
		var conv convObject
		if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{}`, &conv); status != http.StatusOK {
			t.Fatalf("create: %d %s", status, b)
		}
		status, b := convCall(t, e, "POST", "/v1/responses", "", `{"model":"qwen3-max","conversation":"`+conv.ID+`",`+
			`"tools":[{"type":"function","name":"login","parameters":{"type":"object","properties":{"password":{"type":"string"}}}}],`+
			`"input":"use login with {\"password\": \"`+secret+`\"}"}`, nil)
		if status != http.StatusOK || !strings.Contains(b, secret) {
			t.Fatalf("respond: %d %s", status, b)
		}
		status, items := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items?order=asc", "", "", nil)
		if status != http.StatusOK || !strings.Contains(items, "use login with") || !strings.Contains(items, "function_call") {
			t.Fatalf("items: %d %s", status, items)
		}
		if strings.Contains(items, secret) || !strings.Contains(items, "[REDACTED]") {
			t.Errorf("the conversation's items hold the answer's secret: %s", around(items, secret))
		}
	})
}

// around is what s holds around the first v in it (s whole if none): a
// failure's message shows where the secret stands, not a whole record.
func around(s, v string) string {
	i := strings.Index(s, v)
	if i < 0 {
		return s
	}
	return "…" + s[max(0, i-80):min(len(s), i+len(v)+40)] + "…"
}
