package e2e

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
)

// TestTheNoVisionErrorNamesWhereTheModelListSaysVision: an image to a model
// without vision is refused with advice to pick a model GET /v1/models
// lists with vision; the field the advice named, capabilities.vision, is
// null on the proxy's model objects (Anthropic's Models API field, which
// Anthropic's SDKs read): Qwen's capabilities are in metadata. The field
// it names must hold true on a vision model, and not on this one.
func TestTheNoVisionErrorNamesWhereTheModelListSaysVision(t *testing.T) {
	e := start(t, nil)
	image := base64.StdEncoding.EncodeToString(testPNG(t))
	resp := postJSON(t, e, "/v1/messages", `{"model":"qwq-32b","max_tokens":10,"messages":[{"role":"user","content":[`+
		`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"`+image+`"}},{"type":"text","text":"what is this?"}]}]}`,
		map[string]string{"anthropic-version": "2023-06-01"})
	b, _ := io.ReadAll(resp.Body)
	var refusal struct {
		Error struct{ Message string } `json:"error"`
	}
	if resp.StatusCode != 400 || json.Unmarshal(b, &refusal) != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	named := regexp.MustCompile(`lists with ([a-z_.]+)`).FindStringSubmatch(refusal.Error.Message)
	if named == nil {
		t.Fatalf("the refusal names no field: %q", refusal.Error.Message)
	}
	for model, want := range map[string]bool{"qwen3-max": true, "qwq-32b": false} {
		_, m := getJSON(t, e, "GET", "/v1/models/"+model)
		var v any = m
		for _, key := range strings.Split(named[1], ".") {
			obj, _ := v.(map[string]any)
			v = obj[key]
		}
		if (v == true) != want {
			t.Errorf("%s: %s is %v in GET /v1/models/%s, vision %v", refusal.Error.Message, named[1], v, model, want)
		}
	}
}
