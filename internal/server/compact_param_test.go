package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A compact request naming a conversation without input was told that
// input is required; sent again with input, it was then told compact takes
// no conversation. The conversation is what is wrong, so it is named
// first, whatever else the request holds.
func TestCompactNamesTheConversationBeforeAMissingInput(t *testing.T) {
	s := New(Config{BodyTimeout: time.Minute}, Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for _, body := range []string{
		`{"model":"qwen3-max","conversation":"conv_x"}`,
		`{"model":"qwen3-max","conversation":{"id":"conv_x"}}`,
		`{"model":"qwen3-max","input":"hi","conversation":{"id":"conv_x"}}`,
	} {
		resp, err := http.Post(srv.URL+"/v1/responses/compact", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Error struct{ Param, Code string } `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusBadRequest || env.Error.Param != "conversation" || env.Error.Code != "unsupported_parameter" {
			t.Errorf("%s: %d %+v %v, want 400 unsupported_parameter naming conversation", body, resp.StatusCode, env.Error, err)
		}
	}
}
