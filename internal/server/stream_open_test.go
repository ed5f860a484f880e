package server

import (
	"io"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/translate"
)

// openedOutput is an output that notes whether it was started.
type openedOutput struct {
	output
	started bool
}

func (o *openedOutput) start()                 { o.started = true }
func (o *openedOutput) hold(string)            {}
func (o *openedOutput) flush()                 {}
func (o *openedOutput) reasoning(string) error { return nil }
func (o *openedOutput) content(string) error   { return nil }

// Qwen opens a conversation too long for the model with response.created
// and then its error (ContextLengthExceeded). Whether the two arrive in one
// read of the connection is the network's timing; the output must not
// start on the created event alone in either case, so that every client
// API answers the failure with its HTTP status (OpenAI's 400
// context_length_exceeded, on which Codex and OpenCode compact), not with a
// 200 stream holding an error event. The pipe hands the proxy the created
// event alone: its Write returns once the stream has read it.
func TestAStreamDoesNotOpenOnQwensCreatedEventAlone(t *testing.T) {
	pr, pw := io.Pipe()
	stream := qwen.NewStream(pr)
	defer stream.Close()
	go func() {
		pw.Write([]byte(`data: {"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r0"}}` + "\n\n"))
		pw.Write([]byte(`data: {"error": {"code": "ContextLengthExceeded"}, "response_id": "r0"}` + "\n\n"))
		pw.Close()
	}()
	s := &Server{now: time.Now}
	out := &openedOutput{}
	c := &call{}
	err := s.pump(stream, &translate.Answer{}, out, c, &turnSpec{})
	if e, ok := qwen.AsError(err); !ok || e.Kind != qwen.KindTooLong {
		t.Fatalf("pump: %v, want Qwen's ContextLengthExceeded", err)
	}
	if out.started {
		t.Fatal("the output started on the created event: the failure would be an error event in a 200 stream")
	}
}
