package qwen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// FuzzStream feeds arbitrary bytes to the stream parser: it must end (with
// io.EOF or an *Error), never panic or loop, and never invent content.
func FuzzStream(f *testing.F) {
	f.Add([]byte("data: {\"response.created\":{\"chat_id\": \"c\", \"parent_id\": \"p\", \"response_id\":\"r\"}} \n\ndata: {\"choices\": [{\"delta\": {\"content\": \"hi\", \"phase\": \"answer\", \"status\": \"typing\"}}]}\n\n"))
	f.Add([]byte("data: {\"success\":false,\"data\":{\"code\":\"RateLimited\",\"num\":2}}\n\n"))
	f.Add([]byte(": comment\r\nevent: x\r\ndata: [DONE]\r\n\r\n"))
	f.Add([]byte("data: {\"choices\": [{\"delta\": {\"content\": \"\", \"phase\": \"web_search\", \"status\": \"typing\", \"extra\": {\"web_search_info\": [{\"url\": \"https://a\", \"title\": \"t\"}]}}}]}\n\ndata: {\"choices\": [{\"delta\": {\"content\": \"https://img\", \"phase\": \"image_gen\", \"status\": \"finished\"}}]}\n\n"))
	f.Add([]byte(interleaved("")))
	f.Add([]byte("data: {\"ret\":[\"FAIL_SYS_USER_VALIDATE\",\"RGV587_ERROR::SM::x\"],\"data\":{}}\n\n"))
	f.Add([]byte("data: {\"choices\": [{\"delta\": {\"reasoning_content\": \"r\"}}], \"response_id\": \"a\"}\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := NewStream(io.NopCloser(bytes.NewReader(body)))
		defer s.Close()
		for range len(body) + 2 { // each event consumes at least one byte
			ev, err := s.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if _, ok := AsError(err); !ok {
					t.Fatalf("untyped error %v", err)
				}
				return
			}
			// Invalid UTF-8 comes out as U+FFFD, as encoding/json decodes it.
			if r, _ := utf8.DecodeRuneInString(ev.Content); ev.Content != "" && r != utf8.RuneError && !bytes.Contains(body, []byte(ev.Content[:1])) {
				t.Fatalf("content %q not in the input", ev.Content)
			}
		}
		t.Fatal("the parser did not end")
	})
}

// FuzzClassifyBody reads arbitrary HTTP-200 answers as Qwen's non-stream
// bodies: always a verdict, never a panic.
func FuzzClassifyBody(f *testing.F) {
	f.Add("application/json", []byte(`{"success":false,"data":{"code":"Bad_Request","details":"The chat is in progress!"}}`))
	f.Add("text/html", []byte(`<!doctype html>`))
	f.Add("application/json", []byte(`{"requestInfo":{}}`))
	f.Add("application/json", []byte(`{"ret":["FAIL_SYS_USER_VALIDATE"],"data":{"url":"/punish"}}`))
	f.Add("text/html", []byte(`<html><title>504 Gateway Time-out</title></html>`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {contentType}}}
		if e := classifyBody(resp, body); e != nil && e.Kind == "" {
			t.Fatalf("error without a kind: %+v", e)
		}
	})
}

// FuzzStreamFraming reads the same bytes whole and a byte at a time: an
// event whose blank line is already read is taken from the read buffer as
// it is (wholeEvent), one read a byte at a time never is (its blank line
// is not there yet), so the two take the two ways of framing an event, and
// must give the same events and the same end.
func FuzzStreamFraming(f *testing.F) {
	f.Add([]byte("data: {\"choices\": [{\"delta\": {\"content\": \"hi\", \"phase\": \"answer\", \"status\": \"typing\"}}]}\n\ndata: {\"choices\": [{\"delta\": {\"content\": \"\", \"phase\": \"answer\", \"status\": \"finished\"}}]}\r\n\r\n"))
	f.Add([]byte("data:{\"choices\": [{\"delta\": {\"content\": \"a\"}}]}\ndata: {\"x\":1}\n\n: c\ndata: \n\ndata: [DONE]\n\n"))
	f.Add([]byte("event: x\ndata: {\"choices\": [{\"delta\": {\"content\": \"a\"}}]}\r\n\ndata: {\"choices\": [{\"delta\": {\"content\": \"b\"}}]}"))
	f.Add([]byte(interleaved("")))
	read := func(r io.Reader) (events []Event, end error) {
		s := NewStream(io.NopCloser(r))
		defer s.Close()
		for {
			ev, err := s.Next()
			if err != nil {
				return events, err
			}
			events = append(events, *ev)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		whole, wholeEnd := read(bytes.NewReader(body))
		bytewise, bytewiseEnd := read(iotest.OneByteReader(bytes.NewReader(body)))
		if !reflect.DeepEqual(whole, bytewise) {
			t.Fatalf("events differ:\nwhole    %+v\nbytewise %+v", whole, bytewise)
		}
		if fmt.Sprint(wholeEnd) != fmt.Sprint(bytewiseEnd) {
			t.Fatalf("ends differ: %v, %v", wholeEnd, bytewiseEnd)
		}
	})
}
