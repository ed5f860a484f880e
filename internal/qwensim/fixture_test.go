package qwensim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const fixtures = "../../testdata/qwen/"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureEvents splits a recorded stream into its events, separators kept.
func fixtureEvents(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\n\n"))
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i+2])
		b = b[i+2:]
	}
	return out
}

// TestEncoderReproducesTheRecordedStream re-encodes the recorded answer's
// values with the simulator's encoder and expects the recording, byte for byte.
func TestEncoderReproducesTheRecordedStream(t *testing.T) {
	rec := readFixture(t, "completion-stream.sse")
	events := fixtureEvents(rec)
	var created struct {
		C struct {
			ChatID     string `json:"chat_id"`
			ParentID   string `json:"parent_id"`
			ResponseID string `json:"response_id"`
		} `json:"response.created"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(events[0], []byte("data: ")), &created); err != nil {
		t.Fatal(err)
	}
	enc := &encoder{format: Format2025, responseID: created.C.ResponseID, now: time.Now}
	var out bytes.Buffer
	out.Write(enc.created(created.C.ChatID, created.C.ParentID))
	for _, ev := range events[1 : len(events)-1] {
		var typing struct {
			Choices []struct {
				Delta struct{ Content, Phase string }
			}
			Usage struct {
				Input  int `json:"input_tokens"`
				Output int `json:"output_tokens"`
			}
		}
		if err := json.Unmarshal(bytes.TrimPrefix(ev, []byte("data: ")), &typing); err != nil {
			t.Fatal(err)
		}
		d := typing.Choices[0].Delta
		out.Write(enc.typing(d.Phase, d.Content, usage{input: typing.Usage.Input, output: typing.Usage.Output}))
	}
	out.Write(enc.finished("answer"))
	if !bytes.Equal(out.Bytes(), rec) {
		got := fixtureEvents(out.Bytes())
		for i := range events {
			if i >= len(got) || !bytes.Equal(got[i], events[i]) {
				t.Fatalf("event %d differs:\n got %q\nwant %q", i, got[i], events[i])
			}
		}
		t.Fatal("streams differ in length")
	}
}

var (
	stringValue = regexp.MustCompile(`(:\s?)"(?:[^"\\]|\\.)*"`)
	numberValue = regexp.MustCompile(`: \d+`)
)

// shape blanks out values, keeping keys, order and separators.
func shape(event []byte) string {
	s := stringValue.ReplaceAllString(string(event), `$1"S"`)
	return numberValue.ReplaceAllString(s, ": N")
}

// TestSimulatorStreamHasTheRecordedStructure checks a live simulator answer
// event by event against the shapes of the recording.
func TestSimulatorStreamHasTheRecordedStructure(t *testing.T) {
	rec := fixtureEvents(readFixture(t, "completion-stream.sse"))
	shapes := map[string]bool{}
	for _, ev := range rec {
		shapes[shape(ev)] = true
	}
	srv, err := Start(Options{Format: Format2025})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chatID := newChatViaHTTP(t, srv)
	body := `{"stream":true,"incremental_output":true,"chat_id":"` + chatID + `","chat_mode":"guest","model":"qwen3-max","parent_id":null,` +
		`"messages":[{"role":"user","content":"explain religion to an alien","parent_id":null,"feature_config":{"thinking_enabled":false}}],"timestamp":1}`
	resp := post(t, srv.URL+"/api/v2/chat/completions?chat_id="+chatID, body)
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	live, _ := io.ReadAll(resp.Body)
	events := fixtureEvents(live)
	if len(events) < 3 {
		t.Fatalf("only %d events", len(events))
	}
	if shape(events[0]) != shape(rec[0]) || shape(events[len(events)-1]) != shape(rec[len(rec)-1]) {
		t.Fatalf("first/last events differ in shape:\n%s\n%s", events[0], events[len(events)-1])
	}
	for i, ev := range events {
		if !shapes[shape(ev)] {
			t.Fatalf("event %d has a shape the recording does not: %s", i, ev)
		}
	}
	if bytes.Contains(live, []byte("[DONE]")) {
		t.Fatal("Qwen streams end without [DONE]")
	}
}

func TestModelsAreTheRecordedList(t *testing.T) {
	if !bytes.Equal(modelsJSON, readFixture(t, "models.json")) {
		t.Fatal("embedded models.json differs from testdata/qwen/models.json")
	}
}

func TestNonStreamAnswerHasTheRecordedShape(t *testing.T) {
	srv, err := Start(Options{Format: Format2025})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chatID := newChatViaHTTP(t, srv)
	resp := post(t, srv.URL+"/api/v2/chat/completions?chat_id="+chatID,
		`{"stream":false,"chat_id":"`+chatID+`","model":"qwen3-max","parent_id":null,"messages":[{"role":"user","content":"hi","parent_id":null}]}`)
	defer resp.Body.Close()
	live, _ := io.ReadAll(resp.Body)
	keys := func(b []byte) string {
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		var ks []string
		for k := range v["data"].(map[string]any) {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return strings.Join(ks, ",")
	}
	if keys(live) != keys(readFixture(t, "completion-nonstream.json")) {
		t.Fatalf("data keys %s, want %s", keys(live), keys(readFixture(t, "completion-nonstream.json")))
	}
}

func TestNewChatAnswerHasTheRecordedShape(t *testing.T) {
	srv, err := Start(Options{Format: Format2025})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp := post(t, srv.URL+"/api/v2/chats/new", `{"title":"API Chat","models":["qwen3-max"],"chat_mode":"guest","chat_type":"t2t","timestamp":1}`)
	defer resp.Body.Close()
	live, _ := io.ReadAll(resp.Body)
	uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	if got, want := uuid.ReplaceAll(live, []byte("U")), uuid.ReplaceAll(bytes.TrimSpace(readFixture(t, "chats-new.json")), []byte("U")); !bytes.Equal(got, want) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func newChatViaHTTP(t *testing.T, srv *Server) string {
	t.Helper()
	resp := post(t, srv.URL+"/api/v2/chats/new", `{"models":["qwen3-max"]}`)
	defer resp.Body.Close()
	var v struct{ Data struct{ ID string } }
	if err := json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&v); err != nil || v.Data.ID == "" {
		t.Fatalf("new chat: %v %+v", err, v)
	}
	return v.Data.ID
}

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("bx-umidtoken", "t")
	req.Header.Set("Cookie", "c=1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
