package qwen

import (
	"net/http"
	"os"
	"testing"
)

// The recorded model list (testdata/qwen/models.json, qwen-wire.md §3, S1)
// is read by the client as Qwen serves it: bare at the 2025 path, and
// wrapped in the 2026 envelope at /api/v2/models/ (S6), every entry with
// the fields the proxy maps.
func TestTheRecordedModelListIsRead(t *testing.T) {
	rec, err := os.ReadFile("../../testdata/qwen/models.json")
	if err != nil {
		t.Fatal(err)
	}
	json := "application/json"
	for name, answers := range map[string][]func(http.ResponseWriter){
		"2025 path":     {status(http.StatusNotFound), body(json, string(rec))},
		"2026 envelope": {body(json, `{"success":true,"request_id":"r","data":`+string(rec)+`}`)},
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := scriptedModels(t, true, answers...)
			models, err := c.Models(t.Context())
			if err != nil || len(models) != 4 {
				t.Fatalf("%d models, err %v", len(models), err)
			}
			byID := map[string]*Model{}
			for i := range models {
				byID[models[i].ID] = &models[i]
			}
			max, vl := byID["qwen3-max"], byID["qwen3-vl-plus"]
			if max == nil || vl == nil || byID["qwen3-coder-plus"] == nil || byID["qwen3-vl-32b"] == nil {
				t.Fatalf("ids %v", byID)
			}
			if max.Name != "Qwen3-Max" || max.OwnedBy != "qwen" || !max.Info.IsActive || !max.Info.IsVisitorActive ||
				max.Info.Meta.MaxContextLength != 262144 || max.Info.Meta.MaxGenerationLength != 32768 {
				t.Errorf("qwen3-max %+v", max)
			}
			if vl.Info.IsVisitorActive || vl.Info.Meta.MaxThinkingGenerationLength != 81920 || vl.Info.Meta.MaxGenerationLength != 0 {
				t.Errorf("qwen3-vl-plus %+v", vl.Info)
			}
			caps, vlCaps := max.Capabilities(), vl.Capabilities()
			if !caps.Vision || !caps.Search || !caps.ImageGeneration || !caps.ImageEdit || caps.ThinkingRequired ||
				vlCaps.Search || !vlCaps.ImageEdit || caps.MaxOutput != 32768 || caps.MaxThinkingOutput != 0 ||
				vlCaps.MaxOutput != 0 || vlCaps.MaxThinkingOutput != 81920 {
				t.Errorf("capabilities %+v, %+v", caps, vlCaps)
			}
		})
	}
}

// The recorded chats/new answer (testdata/qwen/chats-new.json, S1) gives
// NewChat its chat id.
func TestTheRecordedNewChatAnswerIsRead(t *testing.T) {
	rec, err := os.ReadFile("../../testdata/qwen/chats-new.json")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := scripted(t, body("application/json", string(rec)))
	id, attempts, err := c.NewChat(t.Context(), "qwen3-max")
	if err != nil || id != "0bb333d4-3f20-434d-88c4-5768860e772d" || attempts.N != 1 {
		t.Fatalf("id %q after %d attempts, err %v", id, attempts.N, err)
	}
}
