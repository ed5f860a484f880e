package responses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// ownItemIDsDecoding is OwnItemIDs as it was first written, each body
// decoded whole with encoding/json: what OwnItemIDs must agree with, and
// what its benchmark measures it against.
func ownItemIDsDecoding(body []byte) []string {
	if len(body) == 0 || bytes.HasPrefix(body, []byte(`{"_truncated":true,`)) {
		return nil
	}
	var req struct {
		Input      json.RawMessage `json:"input"`
		Store      *bool           `json:"store"`
		Background *bool           `json:"background"`
	}
	if json.Unmarshal(body, &req) != nil || req.Store != nil && !*req.Store && (req.Background == nil || !*req.Background) {
		return nil
	}
	var items []struct {
		Type    string          `json:"type"`
		ID      any             `json:"id"`
		Role    any             `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(req.Input, &items) != nil {
		return nil
	}
	var ids []string
	seen := map[string]bool{}
	for _, it := range items {
		id, _ := it.ID.(string)
		role, _ := it.Role.(string)
		reference := it.Type == "item_reference" || it.Type == "" && role == "" && (len(it.Content) == 0 || string(it.Content) == "null")
		if id == "" || reference || len(id) > MaxIndexedItemID || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}

// OwnItemIDs reads the ids json.Unmarshal would: store and background as
// it takes them (any case, the last of a name, null), the items' type, id
// and role likewise, references typed or of only an id left out.
func TestOwnItemIDsReadsWhatDecodingDoes(t *testing.T) {
	msg := func(id string) string {
		return `{"type":"message","id":"` + id + `","role":"user","content":"x"}`
	}
	for _, body := range []string{
		`{"model":"m","input":[` + msg("msg_a") + `,` + msg("msg_b") + `,` + msg("msg_a") + `]}`,
		`{"model":"m","store":false,"input":[` + msg("msg_a") + `]}`,
		`{"model":"m","store":false,"background":true,"input":[` + msg("msg_a") + `]}`,
		`{"model":"m","store":false,"background":false,"input":[` + msg("msg_a") + `]}`,
		`{"model":"m","store":null,"input":[` + msg("msg_a") + `]}`,
		`{"model":"m","store":true,"input":[` + msg("msg_a") + `]}`,
		`{"model":"m","Store":false,"input":[` + msg("msg_a") + `]}`,
		`{"model":"m","store":false,"store":true,"input":[` + msg("msg_a") + `]}`,
		`{"model":"m","store":true,"store":false,"input":[` + msg("msg_a") + `]}`,
		`{"model":"m","store":false,"store":null,"input":[` + msg("msg_a") + `]}`,
		`{"model":"m","store":"no","input":[` + msg("msg_a") + `]}`,
		`{"model":"m","input":"hi"}`,
		`{"model":"m","input":null}`,
		`{"model":"m"}`,
		`{"model":"m","input":[` + msg("msg_a") + `],"INPUT":[` + msg("msg_z") + `]}`,
		`{"model":"m","input":[null,` + msg("msg_a") + `]}`,
		`{"model":"m","input":["text",` + msg("msg_a") + `]}`,
		`{"model":"m","input":[{"type":7,"id":"msg_a","role":"user"}]}`,
		`{"model":"m","input":[{"type":null,"id":"msg_a","role":"user","content":"x"}]}`,
		`{"model":"m","input":[{"type":"item_reference","id":"msg_r"},{"id":"msg_only"},{"id":"msg_n","content":null},{"id":"msg_c","content":"x"}]}`,
		`{"model":"m","input":[{"id":"msg_role","role":"user"},{"id":"msg_norole","role":""},{"id":"msg_numrole","role":3},{"id":"msg_esc","role":"\u0075"}]}`,
		`{"model":"m","input":[{"type":"item_\u0072eference","id":"msg_r"},{"Type":"message","ID":"msg_case","Role":"user"},{"type":"message","id":"msg_e\u0301","role":"user"}]}`,
		`{"model":"m","input":[{"type":"message","id":7,"role":"user"},{"type":"message","id":"","role":"user"},{"type":"message","id":"` + strings.Repeat("x", MaxIndexedItemID+1) + `","role":"user"}]}`,
		`{"model":"m","input":[{"type":"message","id":"msg_a","id":"msg_last","role":"user","content":[{"type":"input_text","text":"a \"quoted\" ] } text\\"}]}]}`,
		`{"_truncated":true,"bytes":9,"head":"x"}`,
		` { "model" : "m" , "input" : [ ` + msg("msg_space") + ` ] } `,
	} {
		got, want := OwnItemIDs([]byte(body)), ownItemIDsDecoding([]byte(body))
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", body, got, want)
		}
	}
}

// agentBody is an agent's Responses request of about size bytes: a long
// system prompt, tools, and a history of messages, tool calls and their
// outputs (code, with escapes), every item with its id, as Codex resends
// it each turn; store is its store member.
func agentBody(size int, store string) []byte {
	var b strings.Builder
	b.WriteString(`{"model":"gpt-5-codex","instructions":` + quoted(strings.Repeat("You are a coding agent. Follow the rules.\n", 400)) + `,`)
	b.WriteString(`"tools":[`)
	for i := range 12 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"function","name":"tool_%d","description":%s,"parameters":{"type":"object","properties":{"path":{"type":"string"},"text":{"type":"string"}}}}`,
			i, quoted(strings.Repeat("Reads or writes a file. ", 20)))
	}
	b.WriteString(`],"store":` + store + `,"input":[`)
	code := quoted(strings.Repeat("func main() {\n\tfmt.Println(\"hello, world\")\n}\n", 40))
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, `{"type":"message","id":"msg_%04d","role":"user","content":[{"type":"input_text","text":%s}]}`, i, quoted(strings.Repeat("Please fix the failing test. ", 30)))
		case 1:
			fmt.Fprintf(&b, `{"type":"function_call","id":"fc_%04d","call_id":"call_%d","name":"tool_1","arguments":%s}`, i, i, quoted(`{"path":"main.go"}`))
		default:
			fmt.Fprintf(&b, `{"type":"function_call_output","call_id":"call_%d","output":%s}`, i-1, code)
		}
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func quoted(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The agent's body agrees too.
func TestOwnItemIDsOfAnAgentsBody(t *testing.T) {
	for _, store := range []string{"true", "false"} {
		body := agentBody(300<<10, store)
		if !json.Valid(body) {
			t.Fatal("the benchmark's body is not JSON")
		}
		got, want := OwnItemIDs(body), ownItemIDsDecoding(body)
		if !slices.Equal(got, want) || store == "true" && len(got) == 0 {
			t.Fatalf("store %s: %d ids, want %d", store, len(got), len(want))
		}
	}
}

// BenchmarkOwnItemIDs: the recorder reads an agent's 300 KB body for its
// items' ids on every call; decoding (the first version, encoding/json)
// against scanning (OwnItemIDs), store false (skipped) and true.
//
//	go test ./internal/responses -run '^$' -bench OwnItemIDs -benchmem
func BenchmarkOwnItemIDs(b *testing.B) {
	for _, store := range []string{"false", "true"} {
		body := agentBody(300<<10, store)
		for _, fn := range []struct {
			name string
			f    func([]byte) []string
		}{{"decoding", ownItemIDsDecoding}, {"scanning", OwnItemIDs}} {
			b.Run("store="+store+"/"+fn.name, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					fn.f(body)
				}
			})
		}
	}
}
