package qwen

import (
	"errors"
	"testing"
)

// A failure whose text is "Unauthorized" says the login is refused, whatever
// code or status comes with it (qwen-2026.md §1.3: peers detect an expired
// token by the body texts "Unauthorized" and "Token has expired"; "401
// Unauthorized" is the web backend's, Open WebUI's, own wording of it). Only
// "Token has expired" was read so: "Unauthorized" without a 401 status or
// an Unauthorized code was a refused request, and the account was not
// signed in again nor set aside.
func TestAnUnauthorizedTextIsAnAuthFailure(t *testing.T) {
	for name, frame := range map[string]string{
		"detail":          `{"detail":"Unauthorized"}`,
		"backend wording": `{"detail":"401 Unauthorized"}`,
		"envelope":        `{"success":false,"data":{"code":"Bad_Request","details":"Unauthorized"}}`,
		"error event":     `{"error":{"code":"Bad_Request","details":"Unauthorized"},"response_id":"r"}`,
	} {
		t.Run(name, func(t *testing.T) {
			body := `data: {"response.created":{"chat_id": "c", "parent_id": "p", "response_id":"r"}}` + "\n\n" +
				"data: " + frame + "\n\n"
			_, err := readAll(t, testStream(t, body))
			var qe *Error
			if !errors.As(err, &qe) || qe.Kind != KindAuth {
				t.Fatalf("error %v, want kind %v", err, KindAuth)
			}
		})
	}
	// A text that merely mentions the word is not one.
	if f := classifyCode("Bad_Request", "Unauthorized tool use is not allowed in this chat", 0, ""); f.Kind != KindBadRequest {
		t.Fatalf("%v, want a refused request", f)
	}
}
