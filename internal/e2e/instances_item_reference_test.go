package e2e

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
)

// Two instances on one PostgreSQL database behind a load balancer: an
// item_reference sent to one naming an item of a response the other
// answered a moment ago, its record still in that instance's recorder
// (RECORDER_LINGER), waits for the record, as a branch's
// previous_response_id does. Until 2026-12-07 it was OpenAI's 400 "Item
// with id … not found", which SDKs do not retry, though the same request a
// second later was answered: for an item the proxy made (msg_, fc_ — the
// Vercel AI SDK's tool loop), an id the client gave its item, beside a
// previous_response_id of the same response, and in a count of input
// tokens.
func TestAnItemReferenceOnAnotherInstanceWaitsForItsRecord(t *testing.T) {
	// Both commit a second after a call; b waits up to 3 s for a made id,
	// RECORDER_LINGER and a second more for a client's own.
	a := startOn(t, "postgres", func(c *config.Config) { c.RecorderLinger = time.Second })
	b := startOn(t, "postgres", func(c *config.Config) {
		c.DatabaseURL, c.QwenBaseURL, c.RecorderLinger = a.dbURL, a.sim.URL, time.Second
	})
	answered := func(t *testing.T, body string) (id string, output []map[string]any) {
		t.Helper()
		var r struct {
			ID     string           `json:"id"`
			Output []map[string]any `json:"output"`
		}
		if status, got := convCall(t, a, "POST", "/v1/responses", "", body, &r); status != http.StatusOK || len(r.Output) == 0 {
			t.Fatalf("answer on a: %d %s", status, got)
		}
		return r.ID, r.Output
	}
	onB := func(t *testing.T, path, body string) {
		t.Helper()
		if status, got := convCall(t, b, "POST", path, "", body, nil); status != http.StatusOK {
			t.Fatalf("%s on b: %d %s", path, status, got)
		}
	}

	t.Run("an output message", func(t *testing.T) {
		_, out := answered(t, `{"model":"qwen3-max","input":"ref me"}`)
		onB(t, "/v1/responses", `{"model":"qwen3-max","input":[{"type":"item_reference","id":"`+out[0]["id"].(string)+`"},{"role":"user","content":"next"}]}`)
	})
	t.Run("an id the client gave its item", func(t *testing.T) {
		answered(t, `{"model":"qwen3-max","input":[{"type":"message","id":"msg_k1","role":"user","content":"ref me by my id"}]}`)
		onB(t, "/v1/responses", `{"model":"qwen3-max","input":[{"type":"item_reference","id":"msg_k1"},{"role":"user","content":"next"}]}`)
	})
	t.Run("a function call, the Vercel AI SDK's tool loop", func(t *testing.T) {
		tools := `"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]`
		_, out := answered(t, `{"model":"qwen3-max",`+tools+`,"input":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}]}`)
		var call map[string]any
		for _, it := range out {
			if it["type"] == "function_call" {
				call = it
			}
		}
		if call == nil {
			t.Fatalf("no function call: %v", out)
		}
		onB(t, "/v1/responses", `{"model":"qwen3-max",`+tools+`,"input":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"},`+
			`{"type":"item_reference","id":"`+call["id"].(string)+`"},{"type":"function_call_output","call_id":"`+call["call_id"].(string)+`","output":"sunny"}]}`)
	})
	t.Run("beside previous_response_id", func(t *testing.T) {
		id, out := answered(t, `{"model":"qwen3-max","input":"ref me again"}`)
		onB(t, "/v1/responses", `{"model":"qwen3-max","previous_response_id":"`+id+`","input":[{"type":"item_reference","id":"`+out[0]["id"].(string)+`"},{"role":"user","content":"next"}]}`)
	})
	t.Run("input_tokens", func(t *testing.T) {
		_, out := answered(t, `{"model":"qwen3-max","input":"count me"}`)
		onB(t, "/v1/responses/input_tokens", `{"model":"qwen3-max","input":[{"type":"item_reference","id":"`+out[0]["id"].(string)+`"},{"role":"user","content":"next"}]}`)
	})
}

// An item_reference to an item of a response another instance answered,
// whose record is not in the database within the wait, is a 503
// database_unavailable, which clients retry (the same request answered
// once it is there); an id of no response — one the proxy made for a call
// begun long ago, or a client's that no call gave — is still the 400.
func TestAnItemReferenceNotRecordedInTimeIsA503(t *testing.T) {
	a := startOn(t, "postgres", func(c *config.Config) { c.RecorderLinger = time.Hour }) // its calls stay queued
	b := startOn(t, "postgres", func(c *config.Config) { c.DatabaseURL, c.QwenBaseURL = a.dbURL, a.sim.URL })
	var r struct {
		Output []struct {
			ID string `json:"id"`
		} `json:"output"`
	}
	if status, got := convCall(t, a, "POST", "/v1/responses", "", `{"model":"qwen3-max","input":"ref me"}`, &r); status != http.StatusOK || len(r.Output) == 0 {
		t.Fatalf("answer on a: %d %s", status, got)
	}
	reference := func(id string) (int, string) {
		return convCall(t, b, "POST", "/v1/responses", "", `{"model":"qwen3-max","input":[{"type":"item_reference","id":"`+id+`"},{"role":"user","content":"next"}]}`, nil)
	}
	errorOf := func(body string) (e struct{ Type, Code, Param string }) {
		var got struct {
			Error struct{ Type, Code, Param string }
		}
		_ = json.Unmarshal([]byte(body), &got)
		return got.Error
	}
	status, body := reference(r.Output[0].ID)
	if e := errorOf(body); status != http.StatusServiceUnavailable || e.Code != "database_unavailable" {
		t.Fatalf("a reference to a response whose record is not written yet: %d %s, want 503 database_unavailable", status, body)
	}
	a.sync()
	if status, body := reference(r.Output[0].ID); status != http.StatusOK {
		t.Fatalf("once the record is written: %d %s", status, body)
	}

	// A UUIDv7 of an hour ago: its call's record would be there.
	var old [16]byte
	binary.BigEndian.PutUint64(old[:8], uint64(time.Now().Add(-time.Hour).UnixMilli())<<16|0x7000)
	old[8] = 0x80
	for _, id := range []string{"msg_" + hex.EncodeToString(old[:]) + "0", "msg_nobody_gave"} {
		begun := time.Now()
		status, body := reference(id)
		if e := errorOf(body); status != http.StatusBadRequest || e.Code != "invalid_value" || e.Param != "input[0].id" || !strings.Contains(body, "not found") {
			t.Fatalf("a reference to %s: %d %s, want the 400", id, status, body)
		}
		if took := time.Since(begun); took > 2500*time.Millisecond {
			t.Fatalf("a reference to %s took %v to refuse", id, took)
		}
	}
}
